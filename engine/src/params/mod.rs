//! Params files: looking up tracked keys and editing values in place.

pub mod edit;
pub mod lookup;
pub mod show;
