//! placeholder
use super::Parsed;
pub fn parse(_text: &str) -> Parsed {
    Parsed::default()
}
