//! Real, valid images built in code, so tests need no fixture files.

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// What a header-only reader sees of a PNG claiming `width` x `height`:
/// the signature, an IHDR (8-bit RGBA, default methods) and an IEND, with
/// no pixel data between them. Its layout is fixed (IHDR's data at bytes
/// 16..29, its CRC at 29..33, IEND from 33) for tests that damage it.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A valid RGB PNG of `width` x `height`, its pixels derived from `seed`
/// (different seeds, different bytes). Uncompressed (stored deflate
/// blocks), so its size is about `3 * width * height` bytes.
pub fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let row = 1 + 3 * width as usize;
    let mut raw = Vec::with_capacity(row * height as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            let v = (x as u8).wrapping_mul(3) ^ (y as u8).wrapping_add(seed);
            raw.extend_from_slice(&[v, v.wrapping_add(85), v.wrapping_add(170)]);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        zlib.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        zlib.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// `png` with a `tEXt` chunk of `keyword` and `text` before its `IEND`:
/// the same picture in other bytes, as a unique upload wants.
pub fn with_text(png: &[u8], keyword: &str, text: &str) -> Vec<u8> {
    let (image, iend) = png.split_at(png.len().saturating_sub(12));
    let mut out = Vec::with_capacity(png.len() + keyword.len() + text.len() + 13);
    out.extend_from_slice(image);
    chunk(&mut out, b"tEXt", format!("{keyword}\0{text}").as_bytes());
    out.extend_from_slice(iend);
    out
}

/// The width and height a PNG declares (its IHDR), or a panic saying
/// why `bytes` is no PNG: for tests that check what a server made.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() >= 24
            && bytes.starts_with(b"\x89PNG\r\n\x1a\n")
            && &bytes[8..16] == b"\0\0\0\x0dIHDR",
        "not a PNG: {:?}",
        &bytes[..bytes.len().min(24)]
    );
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(16), word(20))
}

/// Only a PNG header claiming `width` x `height`: enough to be sniffed and
/// measured (and refused for its pixel count), no pixel data.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    out
}

/// A 1x1 GIF: a real image of a type aispace does not accept.
pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// An SVG, which can carry script: never accepted as an image.
pub const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(1)</script></svg>";

pub const HTML: &[u8] = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>";

/// A PNG signature glued to garbage.
pub fn png_signature_then_garbage() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend((0..200u32).map(|i| (i * 7 % 251) as u8));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_vectors() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn a_png_with_text_decodes_to_the_same_pixels_and_carries_the_text() {
        let decode = |bytes: &[u8]| {
            let mut reader = ::png::Decoder::new(std::io::Cursor::new(bytes))
                .read_info()
                .unwrap();
            let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
            reader.next_frame(&mut pixels).unwrap();
            reader.finish().unwrap();
            let text = reader.info().uncompressed_latin1_text.clone();
            (pixels, text)
        };
        let plain = png(5, 4, 9);
        let (pixels, text) = decode(&with_text(&plain, "Comment", "upload 7"));
        assert_eq!(pixels, decode(&plain).0);
        assert_eq!(
            (text[0].keyword.as_str(), text[0].text.as_str()),
            ("Comment", "upload 7")
        );
        assert_ne!(
            with_text(&plain, "Comment", "a"),
            with_text(&plain, "Comment", "b")
        );
    }

    #[test]
    fn a_png_s_size_is_read_from_its_header() {
        assert_eq!(png_size(&png(7, 5, 0)), (7, 5));
        assert_eq!(png_size(&png_header(10_000, 3)), (10_000, 3));
        assert!(std::panic::catch_unwind(|| png_size(GIF)).is_err());
    }

    #[test]
    fn png_size_follows_its_dimensions() {
        let small = png(4, 3, 0);
        assert!(small.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_ne!(png(4, 3, 0), png(4, 3, 1));
        let big = png(600, 580, 0);
        assert!(
            big.len() > 1_000_000 && big.len() < 1_100_000,
            "{}",
            big.len()
        );
    }
}
