//! A secret value found in the repository, kept only so the redaction stage can mask
//! every other place it appears. It never prints itself: `Debug` shows its masked form
//! and it has no `Display` or `Serialize`.

use std::fmt;

use super::mask;

/// A found secret's value. Compare and hash it; read it only to build a redactor.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the redaction stage only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", mask(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_masked_form() {
        let s = Secret::new("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        assert_eq!(format!("{s:?}"), "Secret(ghp_…89)");
    }
}
