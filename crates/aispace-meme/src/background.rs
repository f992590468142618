//! The built-in background: a function of the concept alone.
//!
//! A stable hash of the concept (FNV-1a, not `DefaultHasher`, whose output
//! may change between Rust releases) seeds a small generator that picks a
//! palette, a gradient direction and a few soft blobs. Smooth gradients
//! compress well and sit quietly behind outlined white text; noise would not.

use tiny_skia::{
    Color, GradientStop, LinearGradient, Paint, Pixmap, Point, RadialGradient, Rect, SpreadMode,
    Transform,
};

/// Paints the background for `concept` over the whole pixmap.
pub(crate) fn paint(pixmap: &mut Pixmap, concept: &str) {
    let mut rng = SplitMix64(fnv1a(concept.as_bytes()));
    let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);

    // Two hues a third of the wheel apart or so: related, not clashing.
    let hue = rng.unit() * 360.0;
    let second = hue + 60.0 + rng.unit() * 120.0;
    let from = hsl(hue, 0.55 + rng.unit() * 0.3, 0.35 + rng.unit() * 0.2);
    let to = hsl(second, 0.55 + rng.unit() * 0.3, 0.20 + rng.unit() * 0.2);
    let angle = rng.unit() * std::f32::consts::TAU;
    let (dx, dy) = (angle.cos() * w / 2.0, angle.sin() * h / 2.0);
    let centre = (w / 2.0, h / 2.0);
    let mut paint = Paint {
        anti_alias: false,
        ..Paint::default()
    };
    if let Some(shader) = LinearGradient::new(
        Point::from_xy(centre.0 - dx, centre.1 - dy),
        Point::from_xy(centre.0 + dx, centre.1 + dy),
        vec![GradientStop::new(0.0, from), GradientStop::new(1.0, to)],
        SpreadMode::Pad,
        Transform::identity(),
    ) {
        paint.shader = shader;
    }
    if let Some(rect) = Rect::from_xywh(0.0, 0.0, w, h) {
        pixmap.fill_rect(rect, &paint, Transform::identity(), None);
    }

    // Soft blobs: radial gradients fading to transparent, each drawn only in
    // its own square so the cost stays proportional to its area.
    let blobs = 3 + (rng.next() % 3) as usize;
    for _ in 0..blobs {
        let cx = rng.unit() * w;
        let cy = rng.unit() * h;
        let r = (0.15 + rng.unit() * 0.3) * w.min(h);
        let blob_hue = hue + rng.unit() * 180.0 - 90.0;
        let colour = hsl(blob_hue, 0.7, 0.45 + rng.unit() * 0.3);
        let mut clear = colour;
        clear.set_alpha(0.0);
        let mut core = colour;
        core.set_alpha(0.35 + rng.unit() * 0.3);
        let Some(shader) = RadialGradient::new(
            Point::from_xy(cx, cy),
            0.0,
            Point::from_xy(cx, cy),
            r,
            vec![GradientStop::new(0.0, core), GradientStop::new(1.0, clear)],
            SpreadMode::Pad,
            Transform::identity(),
        ) else {
            continue;
        };
        paint.shader = shader;
        let x0 = (cx - r).max(0.0);
        let y0 = (cy - r).max(0.0);
        let x1 = (cx + r).min(w);
        let y1 = (cy + r).min(h);
        if let Some(rect) = Rect::from_ltrb(x0, y0, x1, y1) {
            pixmap.fill_rect(rect, &paint, Transform::identity(), None);
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64: tiny, fast and stable; quality is ample for picking colours.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn hsl(hue: f32, saturation: f32, lightness: f32) -> Color {
    let h = hue.rem_euclid(360.0) / 60.0;
    let c = (1.0 - (2.0 * lightness - 1.0).abs()) * saturation;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = lightness - c / 2.0;
    Color::from_rgba(r + m, g + m, b + m, 1.0).unwrap_or(Color::BLACK)
}
