//! Shell words: every name and value that reaches a script goes through here.

use std::borrow::Cow;

/// Quotes a word for bash so that it reaches the command as one argument, byte
/// for byte: plain words stay as they are, anything else goes in single quotes,
/// and text with control characters (a newline would split the command over
/// lines) in ANSI-C `$'...'` quotes, so a command always stays on one line.
pub fn quote(word: &str) -> Cow<'_, str> {
    if !word.is_empty() && word.bytes().all(is_plain) {
        return Cow::Borrowed(word);
    }
    if word.chars().any(char::is_control) {
        let mut out = String::from("$'");
        for c in word.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('\'');
        return Cow::Owned(out);
    }
    Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b)
}

/// A `key=value` argument of `kubectl label`. Values a reader could take for a
/// boolean or a number are written in double quotes (`maistra.io/ignore-namespace="true"`,
/// as the OSSM migration guide writes them): to the shell it is the same word,
/// to a reviewer it says "this is the string true".
pub(super) fn label_arg(key: &str, value: &str) -> String {
    let looks_typed = matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
    ) || (!value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    match quote(key) {
        Cow::Borrowed(k) if looks_typed => format!("{k}=\"{value}\""),
        k => {
            let v = quote(value);
            match (&k, &v) {
                (Cow::Borrowed(_), Cow::Borrowed(_)) => format!("{k}={v}"),
                _ => quote(&format!("{key}={value}")).into_owned(),
            }
        }
    }
}

/// Text made safe for a `#` comment: one line, control characters as spaces.
pub(super) fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_and_others_are_quoted() {
        assert_eq!(quote("mercury"), "mercury");
        assert_eq!(quote("istio.io/rev=ossm3"), "istio.io/rev=ossm3");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("a\nb"), r"$'a\nb'");
        assert_eq!(quote("x'\n"), r"$'x\'\n'");
    }

    #[test]
    fn typed_looking_label_values_are_double_quoted() {
        assert_eq!(
            label_arg("maistra.io/ignore-namespace", "true"),
            r#"maistra.io/ignore-namespace="true""#
        );
        assert_eq!(label_arg("istio.io/rev", "ossm3"), "istio.io/rev=ossm3");
        assert_eq!(label_arg("tenant", "a b"), "'tenant=a b'");
    }
}
