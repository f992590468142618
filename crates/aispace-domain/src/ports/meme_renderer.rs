use crate::model::ImageType;

/// What a meme is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Background<'a> {
    /// The renderer's own generator, seeded by the concept.
    Generated { concept: &'a str },
    /// An image a provider returned. Untrusted: it may be anything, or a
    /// header that claims a huge image to exhaust memory.
    Image(&'a [u8]),
}

/// A finished meme, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMeme {
    pub bytes: Vec<u8>,
    pub image_type: ImageType,
    pub width: u32,
    pub height: u32,
}

/// Draws two captions on a background and encodes the result.
///
/// Implementations MUST upper-case the captions (Unicode-aware); MUST draw
/// the top caption at the top and the bottom caption at the bottom, never
/// cut off and never overflowing the image (wrapping at word boundaries,
/// breaking a word longer than a line, shrinking the text until it fits);
/// MUST replace a character their font lacks by a visible substitute, never
/// drop it; MUST draw nothing for an empty caption; MUST return
/// `UnreadableBackground` for bytes that are not a decodable image and
/// `BackgroundTooLarge` for an image over their size limits, before
/// allocating its pixels; MUST return `CaptionTooLong` rather than draw a
/// caption that does not fit; and MUST be deterministic: the same inputs give
/// the same bytes, so a generated background is a function of the concept.
pub trait MemeRenderer: Send + Sync {
    fn render(
        &self,
        background: Background<'_>,
        top: &str,
        bottom: &str,
    ) -> Result<RenderedMeme, MemeError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemeError {
    /// The background bytes are not an image the renderer can decode.
    #[error("the background is not a readable image: {0}")]
    UnreadableBackground(String),
    /// The background is larger than the renderer accepts.
    #[error("the background is too large: {0}")]
    BackgroundTooLarge(String),
    /// A caption does not fit its band even at the smallest legible size;
    /// shrinking further would make it unreadable, cutting it would break
    /// the contract.
    #[error("a caption is too long to fit the image")]
    CaptionTooLong,
    /// Drawing or encoding failed (a bug or resource exhaustion, not the
    /// caller's input).
    #[error("rendering failed: {0}")]
    Failed(String),
}
