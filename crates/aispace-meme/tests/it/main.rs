//! Behaviour of the meme renderer, measured on decoded pixels: captions are
//! found by differencing a meme against its background rendered alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Instant;

use aispace_domain::model::ImageType;
use aispace_domain::ports::{Background, MemeError, MemeRenderer};
use aispace_meme::{SkiaMemeRenderer, bands, generated_background, paint_background};
use image::RgbImage;

/// A channel difference above this counts as ink, not compression noise
/// (PNG is lossless, so anything above zero is drawn; the slack is for
/// anti-aliasing that barely touches a pixel).
const INK: u8 = 8;

const SET: &[(&str, &str, &str)] = &[
    ("short", "one does not simply", "render a meme"),
    (
        "long",
        "when the model finally passes the benchmark but the benchmark was in the training set all along",
        "and nobody noticed for three whole quarters of reviews meetings and roadmaps",
    ),
    (
        "very-long-word",
        "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz",
        "pneumonoultramicroscopicsilicovolcanoconiosis",
    ),
    ("mixed-scripts", "straße ελληνικά", "кириллица ёжик"),
    ("empty-top", "", "only the bottom speaks"),
    ("missing-glyph", "rocket 🚀 launch", "漢字 here"),
];

fn renderer() -> SkiaMemeRenderer {
    SkiaMemeRenderer::new().expect("embedded font parses")
}

fn decode(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).expect("a PNG").into_rgb8()
}

/// Bounding box (x0, y0, x1, y1), inclusive, of pixels that differ from
/// the background within rows `rows`.
fn ink_box(
    meme: &RgbImage,
    background: &RgbImage,
    rows: std::ops::Range<u32>,
) -> Option<(u32, u32, u32, u32)> {
    let mut found: Option<(u32, u32, u32, u32)> = None;
    for y in rows {
        for x in 0..meme.width() {
            let (a, b) = (meme.get_pixel(x, y).0, background.get_pixel(x, y).0);
            if a.iter().zip(b).any(|(p, q)| p.abs_diff(q) > INK) {
                found = Some(found.map_or((x, y, x, y), |(x0, y0, x1, y1)| {
                    (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
                }));
            }
        }
    }
    found
}

fn assert_inside(name: &str, ink: (u32, u32, u32, u32), band: (f32, f32, f32, f32)) {
    let (x0, y0, x1, y1) = ink;
    let (left, right, top, bottom) = band;
    assert!(
        x0 as f32 >= left.floor()
            && x1 as f32 <= right.ceil()
            && y0 as f32 >= top.floor()
            && y1 as f32 <= bottom.ceil(),
        "{name}: ink {ink:?} outside band {band:?}"
    );
}

#[test]
fn captions_of_the_fixed_set_stay_inside_their_margins_and_bands() {
    let renderer = renderer();
    // To look at the set: AISPACE_MEME_GOLDEN_DIR=/tmp/memes cargo test -p aispace-meme
    let keep = std::env::var_os("AISPACE_MEME_GOLDEN_DIR").map(std::path::PathBuf::from);
    if let Some(dir) = &keep {
        std::fs::create_dir_all(dir).expect("golden dir");
    }
    for &(name, top, bottom) in SET {
        let meme = renderer
            .render(Background::Generated { concept: name }, top, bottom)
            .expect("renders");
        assert_eq!(meme.image_type, ImageType::Png);
        assert_eq!((meme.width, meme.height), (1024, 1024));
        if let Some(dir) = &keep {
            std::fs::write(dir.join(format!("{name}.png")), &meme.bytes).expect("golden written");
        }
        let image = decode(&meme.bytes);
        let background = decode(&generated_background(name).expect("background"));
        let [top_band, bottom_band] = bands(1024, 1024);
        let half = 512;
        let top_ink = ink_box(&image, &background, 0..half);
        let bottom_ink = ink_box(&image, &background, half..1024);
        match top_ink {
            Some(ink) => assert_inside(name, ink, top_band),
            None => assert!(top.is_empty(), "{name}: top caption drew nothing"),
        }
        let ink = bottom_ink.unwrap_or_else(|| panic!("{name}: bottom caption drew nothing"));
        assert_inside(name, ink, bottom_band);
    }
}

#[test]
fn an_empty_top_caption_draws_nothing_in_the_top_half() {
    let meme = renderer()
        .render(
            Background::Generated { concept: "quiet" },
            "",
            "bottom only",
        )
        .expect("renders");
    let background = decode(&generated_background("quiet").expect("background"));
    assert_eq!(ink_box(&decode(&meme.bytes), &background, 0..512), None);
}

#[test]
fn the_same_inputs_render_byte_identical_pngs() {
    let renderer = renderer();
    let render = || {
        renderer
            .render(
                Background::Generated { concept: "cats" },
                "top ε",
                "bottom ж",
            )
            .expect("renders")
    };
    assert_eq!(render().bytes, render().bytes);
}

#[test]
fn different_concepts_give_visibly_different_backgrounds() {
    let a = decode(&generated_background("cats").expect("background"));
    let b = decode(&generated_background("dogs").expect("background"));
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(p, q)| u64::from(p.abs_diff(*q)))
        .sum();
    let mean = total as f64 / a.as_raw().len() as f64;
    assert!(mean > 20.0, "mean channel difference only {mean:.1}");
}

#[test]
fn a_character_the_font_lacks_leaves_a_visible_mark() {
    // Alone, a dropped character would leave no ink at all.
    let renderer = renderer();
    let background = decode(&generated_background("emoji").expect("background"));
    for missing in ["🚀", "漢"] {
        let meme = renderer
            .render(Background::Generated { concept: "emoji" }, missing, "")
            .expect("renders");
        let ink = ink_box(&decode(&meme.bytes), &background, 0..512)
            .unwrap_or_else(|| panic!("{missing} left no mark"));
        assert!(
            ink.2 - ink.0 > 20 && ink.3 - ink.1 > 20,
            "{missing}: mark {ink:?}"
        );
    }
}

#[test]
fn captions_are_upper_cased() {
    let renderer = renderer();
    let lower = renderer
        .render(Background::Generated { concept: "case" }, "straße", "")
        .expect("renders");
    let upper = renderer
        .render(Background::Generated { concept: "case" }, "STRASSE", "")
        .expect("renders");
    assert_eq!(lower.bytes, upper.bytes);
}

#[test]
fn a_background_that_is_not_an_image_is_refused_as_unreadable() {
    let result = renderer().render(Background::Image(b"<html>nope</html>"), "a", "b");
    assert!(
        matches!(result, Err(MemeError::UnreadableBackground(_))),
        "{result:?}"
    );
}

/// A PNG signature and IHDR claiming `width`×`height`, and nothing else.
#[test]
fn a_background_claiming_10000_by_10000_is_refused_as_too_large() {
    let result = renderer().render(
        Background::Image(&aispace_testkit::images::png_header(10_000, 10_000)),
        "a",
        "b",
    );
    assert!(
        matches!(result, Err(MemeError::BackgroundTooLarge(_))),
        "{result:?}"
    );
}

#[test]
fn a_provider_image_keeps_its_size_and_gets_its_captions() {
    let source = RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 90])
    });
    let mut png = Vec::new();
    source
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encodes");
    let meme = renderer()
        .render(Background::Image(&png), "top text", "bottom text")
        .expect("renders");
    assert_eq!((meme.width, meme.height), (640, 480));
    let image = decode(&meme.bytes);
    let [top_band, bottom_band] = bands(640, 480);
    assert_inside(
        "provider",
        ink_box(&image, &source, 0..240).expect("top ink"),
        top_band,
    );
    assert_inside(
        "provider",
        ink_box(&image, &source, 240..480).expect("bottom ink"),
        bottom_band,
    );
}

#[test]
fn a_caption_too_long_to_fit_legibly_is_refused() {
    let novel = "word ".repeat(5_000);
    let result = renderer().render(Background::Generated { concept: "x" }, &novel, "");
    assert_eq!(result.err(), Some(MemeError::CaptionTooLong));
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Run with `--release -- --ignored --nocapture`; debug timings mean little.
#[test]
#[ignore = "timing; run in release"]
fn timings() {
    let mut generator = Vec::new();
    for i in 0..20 {
        let start = Instant::now();
        paint_background(&format!("concept {i}")).expect("paints");
        generator.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let renderer = renderer();
    let mut memes = Vec::new();
    for i in 0..50 {
        let start = Instant::now();
        renderer
            .render(
                Background::Generated {
                    concept: &format!("concept {i}"),
                },
                "when the build is green",
                "but clippy has opinions",
            )
            .expect("renders");
        memes.push(start.elapsed().as_secs_f64() * 1e3);
    }
    generator.sort_by(f64::total_cmp);
    memes.sort_by(f64::total_cmp);
    println!(
        "generator 1024²: mean {:.2} ms, max {:.2} ms over 20",
        generator.iter().sum::<f64>() / 20.0,
        generator[19]
    );
    println!(
        "meme (generate + captions + PNG): p50 {:.2} ms, p99 {:.2} ms over 50",
        percentile(&memes, 0.5),
        percentile(&memes, 0.99)
    );
}

#[test]
fn a_jpeg_provider_image_is_decoded_and_captioned() {
    let source = RgbImage::from_fn(320, 200, |x, _| image::Rgb([(x / 2) as u8, 40, 160]));
    let mut jpeg = Vec::new();
    source
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("encodes");
    let meme = renderer()
        .render(Background::Image(&jpeg), "", "jpeg works")
        .expect("renders");
    assert_eq!((meme.width, meme.height), (320, 200));
}

#[test]
fn a_provider_image_too_small_for_a_legible_caption_is_refused() {
    let source = RgbImage::new(32, 32);
    let mut png = Vec::new();
    source
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encodes");
    let result = renderer().render(Background::Image(&png), "a", "b");
    assert!(
        matches!(result, Err(MemeError::UnreadableBackground(_))),
        "{result:?}"
    );
}
