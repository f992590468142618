#![doc = include_str!("../README.md")]

mod background;
mod text;

use std::io::Cursor;

use ab_glyph::FontRef;
use aispace_domain::model::ImageType;
use aispace_domain::ports::{Background, MemeError, MemeRenderer, RenderedMeme};
use aispace_host::Gate;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, ImageError, ImageReader, Limits};
use tiny_skia::{Color, FillRule, IntSize, LineJoin, Paint, Pixmap, Stroke, Transform};

use text::{Anchor, Band, OUTLINE};

/// Side of the square a generated background is drawn at.
pub const GENERATED_SIDE: u32 = 1024;
/// Largest provider image accepted, per side.
pub const MAX_SIDE: u32 = 4096;
/// Smallest provider image accepted, per side: below it no caption is
/// legible.
pub const MIN_SIDE: u32 = 64;
/// What the decoder may allocate for a provider image (16-bit RGBA at
/// 4096×4096 is 128 MiB).
const MAX_DECODE_BYTES: u64 = 128 * 1024 * 1024;
/// Margin on every side, as a fraction of the image.
pub const MARGIN: f32 = 0.05;
/// Each caption's band, as a fraction of the image's height.
pub const BAND: f32 = 0.30;

/// The meme renderer: DejaVu Sans Bold Condensed, white with a black
/// outline, on a tiny-skia canvas, encoded as PNG.
#[derive(Debug, Clone)]
pub struct SkiaMemeRenderer {
    font: FontRef<'static>,
    gate: std::sync::Arc<Gate>,
}

impl SkiaMemeRenderer {
    /// As many renders at once as the machine has cores; see
    /// [`SkiaMemeRenderer::with_concurrency`].
    pub fn new() -> Result<Self, MemeError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_concurrency(cores)
    }

    /// At most `renders` at once (at least one); further callers wait.
    ///
    /// # Errors
    /// Only if the embedded font does not parse, which a test rules out.
    pub fn with_concurrency(renders: usize) -> Result<Self, MemeError> {
        FontRef::try_from_slice(dejavu::sans_condensed::bold())
            .map(|font| Self {
                font,
                gate: std::sync::Arc::new(Gate::new(renders)),
            })
            .map_err(|e| MemeError::Failed(format!("embedded font: {e}")))
    }

    /// The background alone, before captions, as a canvas.
    fn canvas(background: Background<'_>) -> Result<Pixmap, MemeError> {
        match background {
            Background::Generated { concept } => {
                let mut pixmap = Pixmap::new(GENERATED_SIDE, GENERATED_SIDE)
                    .ok_or_else(|| MemeError::Failed("canvas".into()))?;
                background::paint(&mut pixmap, concept);
                Ok(pixmap)
            }
            Background::Image(bytes) => decode(bytes),
        }
    }
}

/// The caption bands for an image of this size.
pub fn bands(width: u32, height: u32) -> [(f32, f32, f32, f32); 2] {
    let (w, h) = (width as f32, height as f32);
    let (left, right) = (w * MARGIN, w * (1.0 - MARGIN));
    [
        (left, right, h * MARGIN, h * (MARGIN + BAND)),
        (left, right, h * (1.0 - MARGIN - BAND), h * (1.0 - MARGIN)),
    ]
}

impl MemeRenderer for SkiaMemeRenderer {
    fn render(
        &self,
        background: Background<'_>,
        top: &str,
        bottom: &str,
    ) -> Result<RenderedMeme, MemeError> {
        let _pass = self.gate.enter();
        let mut pixmap = Self::canvas(background)?;
        let (width, height) = (pixmap.width(), pixmap.height());
        let shorter = width.min(height) as f32;
        let mut laid = Vec::new();
        for ((left, right, band_top, band_bottom), (caption, anchor)) in bands(width, height)
            .into_iter()
            .zip([(top, Anchor::Top), (bottom, Anchor::Bottom)])
        {
            let band = Band {
                left,
                right,
                top: band_top,
                bottom: band_bottom,
            };
            match text::lay_out(&self.font, caption, band, anchor, shorter) {
                Ok(Some(caption)) => laid.push(caption),
                Ok(None) => {}
                Err(()) => return Err(MemeError::CaptionTooLong),
            }
        }
        // All outlines first, then all fills: a neighbouring glyph's
        // outline never covers a letter.
        let mut paint = Paint::default();
        paint.set_color(Color::BLACK);
        for caption in &laid {
            let stroke = Stroke {
                width: caption.px * OUTLINE,
                line_join: LineJoin::Round,
                ..Stroke::default()
            };
            pixmap.stroke_path(&caption.path, &paint, &stroke, Transform::identity(), None);
        }
        paint.set_color(Color::WHITE);
        for caption in &laid {
            pixmap.fill_path(
                &caption.path,
                &paint,
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
        Ok(RenderedMeme {
            bytes: encode(&pixmap)?,
            image_type: ImageType::Png,
            width,
            height,
        })
    }
}

/// Decodes an untrusted image under limits checked against its header,
/// before its pixels are allocated.
fn decode(bytes: &[u8]) -> Result<Pixmap, MemeError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| MemeError::UnreadableBackground(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        ImageError::Limits(e) => {
            MemeError::BackgroundTooLarge(format!("{e} (at most {MAX_SIDE}×{MAX_SIDE})"))
        }
        e => MemeError::UnreadableBackground(e.to_string()),
    })?;
    if image.width() < MIN_SIDE || image.height() < MIN_SIDE {
        return Err(MemeError::UnreadableBackground(format!(
            "{}×{} is smaller than {MIN_SIDE}×{MIN_SIDE}",
            image.width(),
            image.height()
        )));
    }
    let size = IntSize::from_wh(image.width(), image.height())
        .ok_or_else(|| MemeError::UnreadableBackground("empty image".into()))?;
    // Transparency is flattened onto black: premultiplying by alpha is
    // exactly that, and leaves an opaque canvas whose PNG needs no alpha.
    let mut data = image.into_rgba8().into_raw();
    for px in data.chunks_exact_mut(4) {
        let a = u16::from(px[3]);
        for c in &mut px[..3] {
            *c = ((u16::from(*c) * a + 127) / 255) as u8;
        }
        px[3] = 255;
    }
    Pixmap::from_vec(data, size).ok_or_else(|| MemeError::Failed("canvas".into()))
}

/// The canvas is opaque everywhere, so its premultiplied pixels are the
/// plain colours: drop alpha and encode RGB.
fn encode(pixmap: &Pixmap) -> Result<Vec<u8>, MemeError> {
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect();
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            &rgb,
            pixmap.width(),
            pixmap.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| MemeError::Failed(format!("png: {e}")))?;
    Ok(out)
}

/// The generated background alone, for measuring the generator and for
/// tests that compare a meme against its background.
pub fn generated_background(concept: &str) -> Result<Vec<u8>, MemeError> {
    let pixmap = SkiaMemeRenderer::canvas(Background::Generated { concept })?;
    encode(&pixmap)
}

/// Times the generator alone (no captions, no encoding) for `concept`.
pub fn paint_background(concept: &str) -> Result<(), MemeError> {
    SkiaMemeRenderer::canvas(Background::Generated { concept }).map(drop)
}
