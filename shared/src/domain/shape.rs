//! The written shape of a domain value: a regular expression and a length limit that accept exactly
//! what its parser accepts. The OpenAPI document is built from these, so a client (or a fuzzer) knows
//! every rule the server enforces; property tests hold each parser to its shape.
//!
//! Patterns use only syntax that ECMA-262 (JSON Schema), Python's `re` (Schemathesis) and Rust's
//! `regex` read alike: explicit classes, `\uXXXX` escapes, no `\s`, `\d` or `\w` (whose meaning differs
//! between them).

/// The characters `char::is_whitespace` accepts (Unicode `White_Space`), which `str::trim` removes.
pub const SPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// The characters `char::is_control` accepts (Unicode `Cc`).
pub const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";

/// A value's shape: `body` is an unanchored regular expression of the whole raw value (surrounding
/// spaces included where the parser trims them), `max_chars` a limit on the raw value's characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    body: String,
    max_chars: Option<usize>,
}

impl Shape {
    pub fn new(body: impl Into<String>, max_chars: Option<usize>) -> Self {
        Self {
            body: body.into(),
            max_chars,
        }
    }

    /// A shape whose value may be surrounded by spaces, which the parser trims.
    pub fn trimmed(body: &str, max_chars: Option<usize>) -> Self {
        Self::new(format!("[{SPACE}]*(?:{body})[{SPACE}]*"), max_chars)
    }

    /// The pattern of a given value.
    pub fn pattern(&self) -> String {
        format!("^(?:{})$", self.body)
    }

    /// The pattern of an optional field, which may also be left blank (blank counts as absent).
    pub fn pattern_or_blank(&self) -> String {
        format!("^(?:[{SPACE}]*|{})$", self.body)
    }

    pub fn max_chars(&self) -> Option<usize> {
        self.max_chars
    }

    /// The JSON Schema of a string of this shape; `blank_allowed` for an optional field, whose
    /// blank value (any length of spaces) counts as left out.
    pub fn schema(&self, blank_allowed: bool) -> serde_json::Value {
        let mut given = serde_json::json!({"pattern": self.pattern()});
        if let Some(max) = self.max_chars {
            given["maxLength"] = max.into();
        }
        if blank_allowed {
            let blank = serde_json::json!({"pattern": format!("^[{SPACE}]*$")});
            serde_json::json!({"type": "string", "anyOf": [blank, given]})
        } else {
            given["type"] = "string".into();
            given
        }
    }
}

/// `text` as a pattern matching exactly it.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as a pattern matching it in any ASCII case (`on` -> `[Oo][Nn]`).
pub fn any_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                literal(&c.to_string())
            }
        })
        .collect()
}

#[cfg(test)]
pub mod testing {
    //! Checks a parser against its shape with the `regex` crate.

    use crate::domain::shape::Shape;

    /// Whether `raw` fits `shape` (pattern and length), as a JSON Schema validator would say.
    pub fn fits(shape: &Shape, raw: &str) -> bool {
        let regex = regex::Regex::new(&shape.pattern()).expect("the shape's pattern compiles");
        regex.is_match(raw)
            && shape
                .max_chars()
                .is_none_or(|max| raw.chars().count() <= max)
    }

    /// Strings near the shape: ones its own pattern generates, then each edited a little.
    pub fn near(shape: &Shape) -> impl proptest::strategy::Strategy<Value = String> + use<> {
        use proptest::prelude::*;
        let pattern = tame(&shape.pattern());
        let pattern = pattern
            .trim_start_matches('^')
            .trim_end_matches('$')
            .to_owned();
        let matching = proptest::string::string_regex(&pattern).expect("a generator for the shape");
        (
            matching,
            any::<usize>(),
            prop::sample::select(
                " \t\n.@+-()/0:_aZ9ä\u{a0}\u{85}<\"\\é\u{1F600}"
                    .chars()
                    .collect::<Vec<_>>(),
            ),
            0..4u8,
        )
            .prop_map(|(s, at, c, edit)| {
                let chars: Vec<char> = s.chars().collect();
                let at = if chars.is_empty() {
                    0
                } else {
                    at % chars.len()
                };
                let mut chars = chars;
                match edit {
                    0 => {}
                    1 => chars.insert(at, c),
                    2 if !chars.is_empty() => {
                        chars.remove(at);
                    }
                    _ if !chars.is_empty() => chars[at] = c,
                    _ => {}
                }
                chars.into_iter().collect()
            })
    }

    /// `pattern` with its unbounded repeats (`*`, `+`) bounded to a few, so that generated strings
    /// stay near the length limits where parsers and patterns may disagree.
    fn tame(pattern: &str) -> String {
        let (mut out, mut chars, mut class) = (String::new(), pattern.chars(), false);
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    out.push(c);
                    out.extend(chars.next());
                }
                '[' if !class => {
                    class = true;
                    out.push(c);
                }
                ']' if class => {
                    class = false;
                    out.push(c);
                }
                '*' if !class => out.push_str("{0,3}"),
                '+' if !class => out.push_str("{1,3}"),
                c => out.push(c),
            }
        }
        out
    }

    /// A property test that `$parse` accepts a string exactly when it fits `$shape`.
    macro_rules! parser_fits_shape {
        ($name:ident, $shape:expr, $parse:expr) => {
            proptest::proptest! {
                #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
                #[test]
                fn $name(raw in $crate::domain::shape::testing::near(&$shape)) {
                    let shape = $shape;
                    proptest::prop_assert_eq!(
                        ($parse)(raw.as_str()).is_ok(),
                        $crate::domain::shape::testing::fits(&shape, &raw),
                        "{:?} against {}", raw, shape.pattern()
                    );
                }
            }
        };
    }
    pub(crate) use parser_fits_shape;

    #[test]
    fn the_shared_patterns_compile_in_rust() {
        let shape = Shape::trimmed("a", Some(3));
        assert!(fits(&shape, " a "));
        assert!(!fits(&shape, " a  "));
        assert!(!fits(&shape, "b"));
        assert!(
            regex::Regex::new(&shape.pattern_or_blank())
                .unwrap()
                .is_match("  ")
        );
    }
}
