//! `named_enum!`: a closed set of names, parsed from and printed to its API spelling, and
//! (de)serialised as that spelling.

/// Declares an enum whose every variant has one wire spelling: `ALL`, `as_str`, `parse` (exact,
/// lower case; anything else is a validation error on `$field`), `Display`, and serde as the plain
/// string (deserialising an unknown name fails).
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in catalogue order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The API spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the API spelling (exact, lower case).
            pub fn parse(s: &str) -> Result<Self, $crate::DomainError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::DomainError::invalid($field, format!(
                        "must be one of: {}", [$($text),+].join(", ")))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::DomainError;
            fn from_str(s: &str) -> Result<Self, $crate::DomainError> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::DomainError;
            fn try_from(s: String) -> Result<Self, $crate::DomainError> {
                $name::parse(&s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named_enum;

/// Asserts that every value of a `named_enum!` round-trips through its spelling, its `Display`
/// and serde, that spellings are unique lower-case snake_case, and that near misses are refused.
#[cfg(test)]
macro_rules! assert_names_round_trip {
    ($name:ident) => {{
        let mut seen = std::collections::HashSet::new();
        for v in $name::ALL {
            let text = v.as_str();
            assert!(seen.insert(text), "{} spelled twice: {text}", stringify!($name));
            assert!(
                !text.is_empty() && text.bytes().all(|c| c.is_ascii_lowercase() || c == b'_'),
                "{text} is not snake_case"
            );
            assert_eq!($name::parse(text), Ok(*v));
            assert_eq!(text.parse::<$name>(), Ok(*v));
            assert_eq!(v.to_string(), text);
            let json = serde_json::to_string(v).expect("serialise");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<$name>(&json).expect("deserialise"), *v);
            assert!($name::parse(&text.to_uppercase()).is_err());
            assert!($name::parse(&format!(" {text}")).is_err());
        }
        assert!($name::parse("").is_err());
        assert!(serde_json::from_str::<$name>("\"no_such_name\"").is_err());
    }};
}

#[cfg(test)]
pub(crate) use assert_names_round_trip;
