//! Source text positions: byte spans, and the conversion from byte offsets to
//! line and column in the encodings that editors use.

mod line_index;
mod span;

pub use line_index::{LineCol, LineIndex, PositionEncoding};
pub use span::Span;
