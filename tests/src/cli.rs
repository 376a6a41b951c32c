//! The command lines of the host's tools (`backup`, `restore`, `copy-store`): `--flag value` pairs,
//! each named in its error.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;

/// The `--flag value` pairs of one command line.
#[derive(Debug)]
pub struct Flags {
    values: HashMap<String, String>,
    usage: &'static str,
}

impl Flags {
    /// Reads the process's arguments; only the flags in `known` are accepted, each followed by a value.
    pub fn from_env(usage: &'static str, known: &[&str]) -> Result<Self> {
        Self::parse(std::env::args().skip(1), usage, known)
    }

    fn parse(
        args: impl IntoIterator<Item = String>,
        usage: &'static str,
        known: &[&str],
    ) -> Result<Self> {
        let mut values = HashMap::new();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if !known.contains(&flag.as_str()) {
                bail!("unknown argument {flag}; {usage}");
            }
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value; {usage}"))?;
            values.insert(flag, value);
        }
        Ok(Self { values, usage })
    }

    /// The value of a flag the command cannot run without.
    pub fn required(&mut self, flag: &str) -> Result<String> {
        self.values
            .remove(flag)
            .with_context(|| format!("{flag} is missing; {}", self.usage))
    }

    /// The value of a flag, or its default.
    pub fn or(&mut self, flag: &str, default: &str) -> String {
        self.values
            .remove(flag)
            .unwrap_or_else(|| default.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::Flags;

    fn parse(args: &[&str]) -> anyhow::Result<Flags> {
        Flags::parse(
            args.iter().map(|a| a.to_string()),
            "usage: x",
            &["--from", "--to"],
        )
    }

    #[test]
    fn flags_are_read_as_pairs_and_a_missing_one_is_named() {
        let mut flags = parse(&["--to", "b", "--from", "a"]).unwrap();
        assert_eq!(flags.required("--from").unwrap(), "a");
        assert_eq!(flags.or("--to", "z"), "b");
        let error = flags.required("--from").unwrap_err().to_string();
        assert!(error.contains("--from is missing"), "{error}");
    }

    #[test]
    fn an_unknown_flag_or_a_flag_without_value_is_refused() {
        let unknown = parse(&["--form", "a"]).unwrap_err().to_string();
        assert!(unknown.contains("unknown argument --form"), "{unknown}");
        let bare = parse(&["--from"]).unwrap_err().to_string();
        assert!(bare.contains("--from needs a value"), "{bare}");
    }
}
