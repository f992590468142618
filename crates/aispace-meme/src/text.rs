//! Caption layout: upper-case, substitute missing glyphs, wrap by measured
//! ink width (kerning included), shrink until the block fits its band, then
//! turn the glyph outlines into one path per caption.

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve};
use tiny_skia::{Path, PathBuilder};

/// The largest caption size, as a fraction of the image's shorter side.
const MAX_SIZE: f32 = 1.0 / 9.0;
/// Below this many pixels a caption is refused rather than drawn illegibly.
pub(crate) const MIN_PX: f32 = 8.0;
/// Each step of the search shrinks the size by this factor.
const SHRINK: f32 = 0.94;
/// Outline width as a fraction of the font size.
pub(crate) const OUTLINE: f32 = 1.0 / 16.0;

/// A rectangle, in pixels, that a caption's ink (outline included) must
/// stay inside.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Band {
    pub left: f32,
    pub right: f32,
    pub top: f32,
    pub bottom: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Top,
    Bottom,
}

/// A caption laid out: its outline path and the size it was set at.
#[derive(Debug)]
pub(crate) struct Laid {
    pub path: Path,
    pub px: f32,
}

/// Glyphs for `text` upper-cased, one vector per word. A character the font
/// lacks becomes the replacement glyph (U+FFFD, or '?' in a font without it).
fn words(font: &FontRef<'_>, text: &str) -> Vec<Vec<GlyphId>> {
    let upper = text.to_uppercase();
    let replacement = [char::REPLACEMENT_CHARACTER, '?']
        .into_iter()
        .map(|c| font.glyph_id(c))
        .find(|g| g.0 != 0)
        .unwrap_or(GlyphId(0));
    upper
        .split_whitespace()
        .map(|word| {
            word.chars()
                .map(|c| match font.glyph_id(c) {
                    GlyphId(0) => replacement,
                    g => g,
                })
                .collect()
        })
        .collect()
}

/// Horizontal ink extent of a run, in font units from the pen origin, or
/// `None` for a run without ink.
fn ink_x(font: &FontRef<'_>, run: &[GlyphId]) -> Option<(f32, f32)> {
    let mut pen = 0.0;
    let mut extent: Option<(f32, f32)> = None;
    let mut prev: Option<GlyphId> = None;
    for &g in run {
        if let Some(p) = prev {
            pen += font.kern_unscaled(p, g);
        }
        if let Some(outline) = font.outline(g) {
            let (lo, hi) = (pen + outline.bounds.min.x, pen + outline.bounds.max.x);
            extent = Some(extent.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        pen += font.h_advance_unscaled(g);
        prev = Some(g);
    }
    extent
}

fn width(font: &FontRef<'_>, run: &[GlyphId]) -> f32 {
    ink_x(font, run).map_or(0.0, |(a, b)| b - a)
}

/// Greedy wrap at word boundaries, breaking a word wider than a line by
/// characters. `None` when a single glyph is wider than a line.
fn wrap(
    font: &FontRef<'_>,
    words: &[Vec<GlyphId>],
    space: GlyphId,
    max: f32,
) -> Option<Vec<Vec<GlyphId>>> {
    let mut lines = Vec::new();
    let mut line: Vec<GlyphId> = Vec::new();
    for word in words {
        if !line.is_empty() {
            let mut candidate = line.clone();
            candidate.push(space);
            candidate.extend_from_slice(word);
            if width(font, &candidate) <= max {
                line = candidate;
                continue;
            }
            lines.push(std::mem::take(&mut line));
        }
        if width(font, word) <= max {
            line.clone_from(word);
            continue;
        }
        for &g in word {
            line.push(g);
            if width(font, &line) > max {
                line.pop();
                if line.is_empty() {
                    return None;
                }
                lines.push(std::mem::replace(&mut line, vec![g]));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Some(lines)
}

/// Vertical extent of a line in font units (top above the baseline,
/// bottom below, negative): the font's ascent and descent, widened by any
/// glyph that reaches further (accented capitals can).
fn line_y(font: &FontRef<'_>, line: &[GlyphId]) -> (f32, f32) {
    line.iter().filter_map(|&g| font.outline(g)).fold(
        (font.ascent_unscaled(), font.descent_unscaled()),
        |(top, bottom), o| (top.max(o.bounds.max.y), bottom.min(o.bounds.min.y)),
    )
}

/// Lays `text` out inside `band`, as large as fits up to the maximum size.
/// `Ok(None)` for a caption without ink; `Err(())` when it cannot fit.
pub(crate) fn lay_out(
    font: &FontRef<'_>,
    text: &str,
    band: Band,
    anchor: Anchor,
    shorter_side: f32,
) -> Result<Option<Laid>, ()> {
    let words = words(font, text);
    if words.is_empty() {
        return Ok(None);
    }
    let space = font.glyph_id(' ');
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    let mut px = shorter_side * MAX_SIZE;
    while px >= MIN_PX {
        let scale = px / units_per_em;
        // The outline reaches half its width outside the glyph; one more
        // pixel on each side leaves room for anti-aliasing.
        let pad = px * OUTLINE / 2.0 + 1.0;
        let max_w = (band.right - band.left - 2.0 * pad) / scale;
        let max_h = (band.bottom - band.top - 2.0 * pad) / scale;
        if let Some(lines) = wrap(font, &words, space, max_w) {
            let extents: Vec<(f32, f32)> = lines.iter().map(|l| line_y(font, l)).collect();
            let height: f32 = extents.iter().map(|(t, b)| t - b).sum();
            if height <= max_h {
                let top = match anchor {
                    Anchor::Top => band.top + pad,
                    Anchor::Bottom => band.bottom - pad - height * scale,
                };
                let path = outline_path(font, &lines, &extents, band, top, scale);
                return Ok(path.map(|path| Laid { path, px }));
            }
        }
        px *= SHRINK;
    }
    Err(())
}

/// One path for all the lines, each centred in the band, in pixels.
fn outline_path(
    font: &FontRef<'_>,
    lines: &[Vec<GlyphId>],
    extents: &[(f32, f32)],
    band: Band,
    top: f32,
    scale: f32,
) -> Option<Path> {
    let centre = (band.left + band.right) / 2.0;
    let mut builder = PathBuilder::new();
    let mut y = top;
    for (line, &(line_top, line_bottom)) in lines.iter().zip(extents) {
        let baseline = y + line_top * scale;
        let (lo, hi) = ink_x(font, line).unwrap_or((0.0, 0.0));
        let origin = centre - (lo + hi) / 2.0 * scale;
        let mut pen = 0.0;
        let mut prev: Option<GlyphId> = None;
        for &g in line {
            if let Some(p) = prev {
                pen += font.kern_unscaled(p, g);
            }
            if let Some(outline) = font.outline(g) {
                let at =
                    |p: ab_glyph::Point| (origin + (pen + p.x) * scale, baseline - p.y * scale);
                let mut last: Option<ab_glyph::Point> = None;
                for curve in &outline.curves {
                    let (start, end) = match *curve {
                        OutlineCurve::Line(a, b) => (a, b),
                        OutlineCurve::Quad(a, _, c) => (a, c),
                        OutlineCurve::Cubic(a, _, _, d) => (a, d),
                    };
                    // A curve that does not start where the last one ended
                    // begins a new contour.
                    if last != Some(start) {
                        if last.is_some() {
                            builder.close();
                        }
                        let (x, y) = at(start);
                        builder.move_to(x, y);
                    }
                    match *curve {
                        OutlineCurve::Line(_, b) => {
                            let (x, y) = at(b);
                            builder.line_to(x, y);
                        }
                        OutlineCurve::Quad(_, b, c) => {
                            let ((x1, y1), (x, y)) = (at(b), at(c));
                            builder.quad_to(x1, y1, x, y);
                        }
                        OutlineCurve::Cubic(_, b, c, d) => {
                            let ((x1, y1), (x2, y2), (x, y)) = (at(b), at(c), at(d));
                            builder.cubic_to(x1, y1, x2, y2, x, y);
                        }
                    }
                    last = Some(end);
                }
                if last.is_some() {
                    builder.close();
                }
            }
            pen += font.h_advance_unscaled(g);
            prev = Some(g);
        }
        y += (line_top - line_bottom) * scale;
    }
    builder.finish()
}
