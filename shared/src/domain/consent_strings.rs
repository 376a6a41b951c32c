//! The consent strings a site's own IAB CMP produces, kept beside a cookie decision as proof: the TCF
//! v2 TC string and the GPP string with its section ids. Checked for syntax and size only: the product
//! keeps them; it does not decode them or become a CMP.

use super::invalid::Invalid;
use super::shape::Shape;

/// The longest TC string kept (a full vendor list with publisher restrictions is a few KiB).
pub const MAX_TC_STRING: usize = 8192;
/// The longest GPP string kept (several sections, each up to a TC string's size).
pub const MAX_GPP_STRING: usize = 16384;

/// Base64url without padding, one segment.
const SEGMENT: &str = "[A-Za-z0-9_-]+";

/// Whether `raw` is segments of base64url joined by `dot`, none empty.
fn segments(raw: &str, dot: char) -> bool {
    raw.split(dot).all(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// An IAB TCF v2 TC string: its core segment (version 2, so it starts with `C`) and any further
/// segments (disclosed vendors, publisher TC), base64url, joined by `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcString(String);

impl TcString {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        if value.len() > MAX_TC_STRING || !value.starts_with('C') || !segments(value, '.') {
            return Err(Invalid::new(
                "invalid_tc_string",
                "must be a TCF v2 TC string: base64url segments joined by '.', starting with C (at most 8192)",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What [`Self::parse`] accepts.
    pub fn shape() -> Shape {
        Shape::trimmed(
            &format!("C[A-Za-z0-9_-]*(?:\\.{SEGMENT})*"),
            Some(MAX_TC_STRING),
        )
    }
}

/// An IAB GPP string: its header section (type 3, version 1, so it starts with `DB`) and the sections
/// it lists, joined by `~`; each section base64url, its sub-sections joined by `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GppString(String);

impl GppString {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        let ok = value.len() <= MAX_GPP_STRING
            && value.starts_with("DB")
            && value.split('~').all(|section| segments(section, '.'));
        if !ok {
            return Err(Invalid::new(
                "invalid_gpp_string",
                "must be a GPP string: a header starting with DB, then sections joined by '~', each base64url (at most 16384)",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What [`Self::parse`] accepts.
    pub fn shape() -> Shape {
        let section = format!("{SEGMENT}(?:\\.{SEGMENT})*");
        Shape::trimmed(
            &format!("DB[A-Za-z0-9_-]*(?:\\.{SEGMENT})*(?:~{section})*"),
            Some(MAX_GPP_STRING),
        )
    }
}

/// The GPP section ids in force (`gpp_sid`, as the `${GPP_SID}` macro writes them): section numbers
/// joined by `_` or `,` (`2_7`), or `-1` where no section applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GppSectionIds(Vec<i16>);

impl GppSectionIds {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        let invalid = || {
            Invalid::new(
                "invalid_gpp_sid",
                "must be GPP section ids joined by '_' or ',' (such as 2_7), or -1 (at most 32)",
            )
        };
        if value == "-1" {
            return Ok(Self(vec![-1]));
        }
        let ids: Vec<i16> = value
            .split(['_', ','])
            .map(|id| {
                if (1..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
                    id.parse().map_err(|_| invalid())
                } else {
                    Err(invalid())
                }
            })
            .collect::<Result<_, _>>()?;
        if ids.len() > 32 {
            return Err(invalid());
        }
        Ok(Self(ids))
    }

    pub fn ids(&self) -> &[i16] {
        &self.0
    }

    /// What [`Self::parse`] accepts.
    pub fn shape() -> Shape {
        Shape::trimmed("-1|[0-9]{1,3}(?:[_,][0-9]{1,3}){0,31}", None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tc_string_is_base64url_segments_from_a_version_2_core() {
        let tc = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA.IAAA";
        assert_eq!(TcString::parse(&format!(" {tc} ")).unwrap().as_str(), tc);
        for bad in [
            "",
            "BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA",
            "CP==",
            "CPX..IAA",
            "CPX xx",
        ] {
            assert_eq!(
                TcString::parse(bad).unwrap_err().code,
                "invalid_tc_string",
                "{bad}"
            );
        }
        assert!(TcString::parse(&format!("C{}", "A".repeat(MAX_TC_STRING))).is_err());
    }

    #[test]
    fn a_gpp_string_is_a_db_header_and_sections() {
        let gpp = "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA.QA";
        assert_eq!(GppString::parse(gpp).unwrap().as_str(), gpp);
        for bad in ["", "DA~x", "DBABMA~", "DBABMA~~x", "DB ABMA"] {
            assert_eq!(
                GppString::parse(bad).unwrap_err().code,
                "invalid_gpp_string",
                "{bad}"
            );
        }
    }

    #[test]
    fn gpp_section_ids_are_numbers_joined_by_underscore_or_comma() {
        assert_eq!(GppSectionIds::parse("2_7").unwrap().ids(), [2, 7]);
        assert_eq!(GppSectionIds::parse("2,6").unwrap().ids(), [2, 6]);
        assert_eq!(GppSectionIds::parse("-1").unwrap().ids(), [-1]);
        for bad in ["", "2__7", "a", "1234", "-2", &vec!["1"; 33].join("_")] {
            assert_eq!(
                GppSectionIds::parse(bad).unwrap_err().code,
                "invalid_gpp_sid",
                "{bad}"
            );
        }
    }

    #[test]
    fn each_shape_accepts_what_its_parser_accepts() {
        let cases: [(Shape, &[&str], &[&str]); 3] = [
            (
                TcString::shape(),
                &["CPX.IA", "CAAA"],
                &["BAAA", "C.", "C..A"],
            ),
            (
                GppString::shape(),
                &["DBABMA~CP.QA", "DBA"],
                &["DBA~", "DA"],
            ),
            (
                GppSectionIds::shape(),
                &["2_7", "-1", "2,6"],
                &["2__7", "-2"],
            ),
        ];
        for (shape, good, bad) in cases {
            let re = regex::Regex::new(&shape.pattern()).unwrap();
            for g in good {
                assert!(re.is_match(g), "{g}");
            }
            for b in bad {
                assert!(!re.is_match(b), "{b}");
            }
        }
        assert!(TcString::parse("CPX.IA").is_ok() && TcString::parse("C.").is_err());
    }
}
