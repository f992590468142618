//! What an uploaded image really is, decided from its bytes alone.
//!
//! Content-Type headers and file names are chosen by whoever sends the file,
//! so they are never trusted: the type comes from the magic bytes and the
//! dimensions from the format's own header. Pixel data is never decoded, so a
//! decompression bomb costs us a few dozen bytes of parsing before it is
//! refused for its pixel count.

/// The only image formats agents may post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }

    /// The extension we store files under; `from_extension` accepts more
    /// spellings than this ever produces.
    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Webp => "webp",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        [
            ("jpg", ImageType::Jpeg),
            ("jpeg", ImageType::Jpeg),
            ("png", ImageType::Png),
            ("webp", ImageType::Webp),
        ]
        .into_iter()
        .find(|(known, _)| ext.eq_ignore_ascii_case(known))
        .map(|(_, image_type)| image_type)
    }
}

/// A sniffed image: its real type and the size its header declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub image_type: ImageType,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not jpeg, png or webp by its magic bytes. Holds the mime type the
    /// bytes look like, or "unrecognised data" when nothing matched.
    #[error("only jpeg, png and webp images are accepted, got {0}")]
    UnsupportedType(String),
    /// Starts like one of the accepted formats but its header is broken or
    /// cut short.
    #[error("malformed image: {0}")]
    Malformed(String),
    /// A header that would decode to more pixels than we are willing to hold.
    #[error(
        "image is {width}x{height} = {:.1} megapixels, over the limit of {:.1} megapixels",
        megapixels(u64::from(*width) * u64::from(*height)),
        megapixels(*max_pixels)
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
}

fn megapixels(pixels: u64) -> f64 {
    // Display only: the limit itself is compared in exact integers.
    pixels as f64 / 1_000_000.0
}

fn malformed(reason: &str) -> ImageError {
    ImageError::Malformed(reason.to_owned())
}

impl ImageInfo {
    /// Sniffs the type from the magic bytes and reads the dimensions from the
    /// header. Never decodes pixel data and never allocates in proportion to
    /// the input, so it is safe on anything a client sends.
    pub fn inspect(bytes: &[u8], max_pixels: u64) -> Result<ImageInfo, ImageError> {
        let image_type = sniff(bytes)?;
        let (width, height) = match image_type {
            ImageType::Jpeg => jpeg_dimensions(bytes)?,
            ImageType::Png => png_dimensions(bytes)?,
            ImageType::Webp => webp_dimensions(bytes)?,
        };
        if width == 0 || height == 0 {
            return Err(ImageError::Malformed(format!(
                "{} header declares a {width}x{height} image",
                image_type.mime()
            )));
        }
        // Both factors fit in 32 bits, so the product cannot overflow 64.
        if u64::from(width) * u64::from(height) > max_pixels {
            return Err(ImageError::TooManyPixels {
                width,
                height,
                max_pixels,
            });
        }
        Ok(ImageInfo {
            image_type,
            width,
            height,
        })
    }
}

fn sniff(bytes: &[u8]) -> Result<ImageType, ImageError> {
    match infer::get(bytes).map(|kind| kind.mime_type()) {
        Some("image/jpeg") => Ok(ImageType::Jpeg),
        Some("image/png") => Ok(ImageType::Png),
        Some("image/webp") => Ok(ImageType::Webp),
        Some(other) => Err(ImageError::UnsupportedType(other.to_owned())),
        None => Err(ImageError::UnsupportedType("unrecognised data".to_owned())),
    }
}

/// `N` bytes at `at`, or `None` when the input ends first.
fn bytes_at<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    bytes_at(bytes, at).map(u16::from_be_bytes)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes_at(bytes, at).map(u32::from_be_bytes)
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    bytes_at(bytes, at).map(u16::from_le_bytes)
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    bytes_at::<3>(bytes, at).map(|[a, b, c]| u32::from_le_bytes([a, b, c, 0]))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes_at(bytes, at).map(u32::from_le_bytes)
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
const PNG_IHDR_LEN: u32 = 13;
/// PNG caps each dimension at 2^31-1 so it survives signed arithmetic.
const PNG_MAX_DIMENSION: u32 = (1 << 31) - 1;

fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    // infer only looks at four bytes; the full signature also catches files
    // mangled by text-mode transfers, which is what its CR/LF bytes are for.
    if bytes_at::<8>(bytes, 0) != Some(PNG_SIGNATURE) {
        return Err(malformed("PNG signature is damaged"));
    }
    // Length, type, 13 bytes of data and CRC: everything up to byte 33.
    let ihdr = bytes
        .get(8..33)
        .ok_or_else(|| malformed("PNG ends before its IHDR chunk is complete"))?;
    if be_u32(ihdr, 0) != Some(PNG_IHDR_LEN) || ihdr.get(4..8) != Some(&b"IHDR"[..]) {
        return Err(malformed("PNG does not start with a 13-byte IHDR chunk"));
    }
    // The CRC covers the chunk type and data, not the length.
    let (covered, stored_crc) = (ihdr.get(4..21), be_u32(ihdr, 21));
    if covered.map(crc32) != stored_crc {
        return Err(malformed("PNG IHDR checksum does not match"));
    }
    let (Some(width), Some(height)) = (be_u32(ihdr, 8), be_u32(ihdr, 12)) else {
        return Err(malformed("PNG IHDR chunk is truncated"));
    };
    if width > PNG_MAX_DIMENSION || height > PNG_MAX_DIMENSION {
        return Err(malformed("PNG dimensions exceed 2^31-1"));
    }
    Ok((width, height))
}

/// CRC-32 (IEEE, reflected 0xEDB88320) lookup table, built at compile time so
/// the PNG check needs no dependency and no runtime initialisation.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            bit += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &byte| {
        CRC_TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8)
    })
}

fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return Err(malformed("JPEG does not start with SOI"));
    }
    let ran_out = || malformed("JPEG ends before its frame header");
    // Every iteration consumes at least the marker byte, so `pos` strictly
    // increases and the walk ends within `bytes.len()` steps.
    let mut pos: usize = 2;
    loop {
        if *bytes.get(pos).ok_or_else(ran_out)? != 0xFF {
            return Err(malformed("JPEG has data where a marker should be"));
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while *bytes.get(pos).ok_or_else(ran_out)? == 0xFF {
            pos = pos.checked_add(1).ok_or_else(ran_out)?;
        }
        let marker = *bytes.get(pos).ok_or_else(ran_out)?;
        pos = pos.checked_add(1).ok_or_else(ran_out)?;
        match marker {
            // RST0-7 and TEM stand alone, without a length.
            0xD0..=0xD7 | 0x01 => continue,
            0xD9 => return Err(malformed("JPEG ends (EOI) before any frame header")),
            0xDA => return Err(malformed("JPEG scan (SOS) starts before any frame header")),
            0x00 | 0xD8 => return Err(malformed("JPEG has an invalid marker")),
            _ => {}
        }
        let length = usize::from(be_u16(bytes, pos).ok_or_else(ran_out)?);
        if length < 2 {
            return Err(malformed("JPEG segment length is shorter than itself"));
        }
        let end = pos.checked_add(length).ok_or_else(ran_out)?;
        let segment = bytes
            .get(pos..end)
            .ok_or_else(|| malformed("JPEG segment runs past the end of the data"))?;
        // C4 (DHT), C8 (JPG) and CC (DAC) share the SOF range but are not frames.
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            // length(2) precision(1) height(2) width(2) component count(1)
            if segment.len() < 8 {
                return Err(malformed("JPEG frame header is too short"));
            }
            let height = be_u16(segment, 3).ok_or_else(ran_out)?;
            let width = be_u16(segment, 5).ok_or_else(ran_out)?;
            return Ok((u32::from(width), u32::from(height)));
        }
        pos = end;
    }
}

fn webp_dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    // infer only checks "WEBP" at offset 8; the RIFF container is ours to verify.
    if bytes.get(..4) != Some(&b"RIFF"[..]) || bytes.get(8..12) != Some(&b"WEBP"[..]) {
        return Err(malformed("WebP is not in a RIFF container"));
    }
    let truncated = || malformed("WebP ends before its image header");
    let fourcc: [u8; 4] = bytes_at(bytes, 12).ok_or_else(truncated)?;
    let chunk_len = le_u32(bytes, 16).ok_or_else(truncated)?;
    const DATA: usize = 20;
    // A chunk shorter than its fixed header means the fields we would read
    // belong to something else.
    let needs = |min: u32| {
        if chunk_len < min {
            Err(malformed("WebP image chunk is shorter than its header"))
        } else {
            Ok(())
        }
    };
    match &fourcc {
        b"VP8 " => {
            needs(10)?;
            let frame_tag = *bytes.get(DATA).ok_or_else(truncated)?;
            // Bit 0 clear marks a key frame, the only kind that carries a size.
            if frame_tag & 1 != 0 {
                return Err(malformed("WebP lossy data does not start with a key frame"));
            }
            if bytes_at::<3>(bytes, DATA + 3).ok_or_else(truncated)? != [0x9D, 0x01, 0x2A] {
                return Err(malformed("WebP lossy start code is missing"));
            }
            // The top two bits of each are an upscaling hint, not the size.
            let width = le_u16(bytes, DATA + 6).ok_or_else(truncated)? & 0x3FFF;
            let height = le_u16(bytes, DATA + 8).ok_or_else(truncated)? & 0x3FFF;
            Ok((u32::from(width), u32::from(height)))
        }
        b"VP8L" => {
            needs(5)?;
            if *bytes.get(DATA).ok_or_else(truncated)? != 0x2F {
                return Err(malformed("WebP lossless signature is missing"));
            }
            let bits = le_u32(bytes, DATA + 1).ok_or_else(truncated)?;
            // Bits 29-31 are a version that must be zero; later versions may
            // lay out the size differently.
            if bits >> 29 != 0 {
                return Err(malformed("WebP lossless version is unknown"));
            }
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            needs(10)?;
            let width = le_u24(bytes, DATA + 4).ok_or_else(truncated)? + 1;
            let height = le_u24(bytes, DATA + 7).ok_or_else(truncated)? + 1;
            Ok((width, height))
        }
        _ => Err(malformed(
            "WebP does not start with a VP8, VP8L or VP8X chunk",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 40_000_000;

    use aispace_testkit::images::png_header as png;

    fn jpeg_with_sof(sof: u8, width: u16, height: u16) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        // APP0 JFIF, as cameras and encoders put first.
        out.extend([0xFF, 0xE0, 0x00, 0x10]);
        out.extend(b"JFIF\0");
        out.extend([1, 1, 0, 0, 1, 0, 1, 0, 0]);
        out.extend([0xFF, sof, 0x00, 0x0B, 0x08]);
        out.extend(height.to_be_bytes());
        out.extend(width.to_be_bytes());
        out.extend([0x01, 0x01, 0x11, 0x00]); // one greyscale component
        out.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        out.extend([0x12, 0x34, 0xFF, 0xD9]);
        out
    }

    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        jpeg_with_sof(0xC0, width, height)
    }

    fn riff(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = b"RIFF".to_vec();
        let size = u32::try_from(4 + 8 + data.len()).unwrap_or(u32::MAX);
        out.extend(size.to_le_bytes());
        out.extend(b"WEBP");
        out.extend(fourcc);
        out.extend(u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend(data);
        out
    }

    fn webp_lossy(width: u16, height: u16) -> Vec<u8> {
        let mut data = vec![0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A];
        data.extend(width.to_le_bytes());
        data.extend(height.to_le_bytes());
        data.extend([0; 8]);
        riff(b"VP8 ", &data)
    }

    fn webp_lossless(width: u32, height: u32) -> Vec<u8> {
        let bits = (width - 1) | ((height - 1) << 14) | (1 << 28); // alpha used
        let mut data = vec![0x2F];
        data.extend(bits.to_le_bytes());
        data.extend([0; 4]);
        riff(b"VP8L", &data)
    }

    fn webp_extended(width: u32, height: u32) -> Vec<u8> {
        let mut data = vec![0x10, 0, 0, 0]; // alpha flag
        data.extend(&(width - 1).to_le_bytes()[..3]);
        data.extend(&(height - 1).to_le_bytes()[..3]);
        riff(b"VP8X", &data)
    }

    fn info(image_type: ImageType, width: u32, height: u32) -> Result<ImageInfo, ImageError> {
        Ok(ImageInfo {
            image_type,
            width,
            height,
        })
    }

    fn is_malformed(result: Result<ImageInfo, ImageError>) -> bool {
        matches!(result, Err(ImageError::Malformed(_)))
    }

    #[test]
    fn types_map_to_mime_and_extension_and_back() {
        for t in [ImageType::Jpeg, ImageType::Png, ImageType::Webp] {
            assert_eq!(ImageType::from_extension(t.extension()), Some(t));
            assert!(t.mime().starts_with("image/"));
        }
        assert_eq!(ImageType::Jpeg.mime(), "image/jpeg");
        assert_eq!(ImageType::Png.mime(), "image/png");
        assert_eq!(ImageType::Webp.mime(), "image/webp");
        assert_eq!(ImageType::from_extension("JPEG"), Some(ImageType::Jpeg));
        assert_eq!(ImageType::from_extension("Png"), Some(ImageType::Png));
        for unknown in ["gif", "svg", "", ".png", "jpg ", "webpp"] {
            assert_eq!(ImageType::from_extension(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn reads_png_dimensions_from_ihdr() {
        // A 1x1 RGBA header as real encoders write it, CRC included.
        let mut real = PNG_SIGNATURE.to_vec();
        real.extend([0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1]);
        real.extend([8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89]);
        assert_eq!(ImageInfo::inspect(&real, LIMIT), info(ImageType::Png, 1, 1));
        assert_eq!(
            ImageInfo::inspect(&png(640, 480), LIMIT),
            info(ImageType::Png, 640, 480)
        );
    }

    #[test]
    fn reads_jpeg_dimensions_from_the_frame_header() {
        assert_eq!(
            ImageInfo::inspect(&jpeg(1024, 768), LIMIT),
            info(ImageType::Jpeg, 1024, 768)
        );
        // Progressive and arithmetic-coded frames carry the size the same way.
        for sof in [0xC1, 0xC2, 0xC3, 0xC9, 0xCF] {
            assert_eq!(
                ImageInfo::inspect(&jpeg_with_sof(sof, 3, 5), LIMIT),
                info(ImageType::Jpeg, 3, 5),
                "SOF {sof:#04X}"
            );
        }
    }

    #[test]
    fn jpeg_walk_skips_fill_bytes_standalone_markers_and_lookalike_segments() {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xD0, 0xFF, 0x01];
        // DHT, JPG and DAC sit in the SOF range; their payloads would read as
        // absurd sizes if mistaken for a frame header.
        for not_a_frame in [0xC4, 0xC8, 0xCC] {
            bytes.extend([
                0xFF,
                not_a_frame,
                0x00,
                0x08,
                0x08,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x01,
            ]);
        }
        bytes.extend(&jpeg(20, 10)[20..]);
        assert_eq!(
            ImageInfo::inspect(&bytes, LIMIT),
            info(ImageType::Jpeg, 20, 10)
        );
    }

    #[test]
    fn reads_all_three_webp_flavours() {
        assert_eq!(
            ImageInfo::inspect(&webp_lossy(550, 368), LIMIT),
            info(ImageType::Webp, 550, 368)
        );
        assert_eq!(
            ImageInfo::inspect(&webp_lossless(16383, 2), LIMIT),
            info(ImageType::Webp, 16383, 2)
        );
        assert_eq!(
            ImageInfo::inspect(&webp_extended(400, 301), LIMIT),
            info(ImageType::Webp, 400, 301)
        );
    }

    #[test]
    fn webp_lossy_scale_bits_are_not_part_of_the_size() {
        let mut bytes = webp_lossy(300, 200);
        bytes[27] |= 0xC0;
        bytes[29] |= 0x40;
        assert_eq!(
            ImageInfo::inspect(&bytes, LIMIT),
            info(ImageType::Webp, 300, 200)
        );
    }

    #[test]
    fn refuses_other_formats_naming_what_they_look_like() {
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01";
        assert_eq!(
            ImageInfo::inspect(gif, LIMIT),
            Err(ImageError::UnsupportedType("image/gif".into()))
        );
        let html = b"<!DOCTYPE html>\n<html><body><img src=x onerror=alert(1)></body></html>";
        assert_eq!(
            ImageInfo::inspect(html, LIMIT),
            Err(ImageError::UnsupportedType("text/html".into()))
        );
        let bmp = b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00";
        assert_eq!(
            ImageInfo::inspect(bmp, LIMIT),
            Err(ImageError::UnsupportedType("image/bmp".into()))
        );
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj";
        assert_eq!(
            ImageInfo::inspect(pdf, LIMIT),
            Err(ImageError::UnsupportedType("application/pdf".into()))
        );
    }

    #[test]
    fn refuses_svg_even_though_it_is_an_image() {
        // SVG is markup that browsers run scripts in; whatever infer calls it,
        // it must never come back as one of the accepted types.
        for svg in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(1)</script></svg>"[..],
            &b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"[..],
        ] {
            assert!(
                matches!(ImageInfo::inspect(svg, LIMIT), Err(ImageError::UnsupportedType(_))),
                "{}",
                String::from_utf8_lossy(svg)
            );
        }
        assert_eq!(
            ImageInfo::inspect(b"<svg/>", LIMIT),
            Err(ImageError::UnsupportedType("unrecognised data".into()))
        );
        assert_eq!(
            ImageInfo::inspect(b"", LIMIT),
            Err(ImageError::UnsupportedType("unrecognised data".into()))
        );
    }

    #[test]
    fn refuses_a_png_signature_glued_to_garbage() {
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.extend(b"<script>alert(document.cookie)</script> and more padding");
        assert!(is_malformed(ImageInfo::inspect(&bytes, LIMIT)));
        // infer accepts the first four bytes; the rest of the signature is ours.
        let mut mangled = png(1, 1);
        mangled[4] = b'\n';
        assert!(is_malformed(ImageInfo::inspect(&mangled, LIMIT)));
    }

    #[test]
    fn refuses_a_truncated_png_header() {
        let whole = png(10, 10);
        for len in 4..33 {
            assert!(
                is_malformed(ImageInfo::inspect(&whole[..len], LIMIT)),
                "{len} bytes"
            );
        }
        assert!(ImageInfo::inspect(&whole[..33], LIMIT).is_ok());
    }

    #[test]
    fn refuses_a_png_whose_ihdr_checksum_is_wrong() {
        let mut bytes = png(10, 10);
        // Someone editing the size without recomputing the CRC, e.g. to slip
        // a huge image past a checker that trusts a different field.
        bytes[19] = 11;
        assert_eq!(
            ImageInfo::inspect(&bytes, LIMIT),
            Err(ImageError::Malformed(
                "PNG IHDR checksum does not match".into()
            ))
        );
    }

    #[test]
    fn refuses_a_png_whose_first_chunk_is_not_a_13_byte_ihdr() {
        let mut renamed = png(10, 10);
        renamed[12..16].copy_from_slice(b"IDAT");
        assert!(is_malformed(ImageInfo::inspect(&renamed, LIMIT)));
        let mut resized = png(10, 10);
        resized[11] = 14;
        assert!(is_malformed(ImageInfo::inspect(&resized, LIMIT)));
    }

    #[test]
    fn refuses_png_dimensions_beyond_the_format_limit() {
        assert!(is_malformed(ImageInfo::inspect(&png(1 << 31, 1), u64::MAX)));
        assert!(ImageInfo::inspect(&png((1 << 31) - 1, 1), u64::MAX).is_ok());
    }

    #[test]
    fn refuses_a_jpeg_without_a_frame_header() {
        let only_app0 = &jpeg(10, 10)[..20];
        assert!(is_malformed(ImageInfo::inspect(only_app0, LIMIT)));
        let scan_first = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x00, 0xFF, 0xD9];
        assert!(is_malformed(ImageInfo::inspect(&scan_first, LIMIT)));
        let ends_at_once = [0xFF, 0xD8, 0xFF, 0xD9];
        assert!(is_malformed(ImageInfo::inspect(&ends_at_once, LIMIT)));
        let only_fill = [0xFF; 64];
        let mut fill = vec![0xFF, 0xD8];
        fill.extend(only_fill);
        assert!(is_malformed(ImageInfo::inspect(&fill, LIMIT)));
    }

    #[test]
    fn refuses_a_jpeg_segment_that_points_past_the_end() {
        let bytes = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0, b'E', b'x', b'i', b'f'];
        assert_eq!(
            ImageInfo::inspect(&bytes, LIMIT),
            Err(ImageError::Malformed(
                "JPEG segment runs past the end of the data".into()
            ))
        );
        let too_short_to_be_a_length = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xC0];
        assert!(is_malformed(ImageInfo::inspect(
            &too_short_to_be_a_length,
            LIMIT
        )));
    }

    #[test]
    fn refuses_a_webp_that_is_not_really_one() {
        // infer only checks "WEBP" at offset 8.
        let mut not_riff = webp_lossy(10, 10);
        not_riff[..4].copy_from_slice(b"RIFX");
        assert!(is_malformed(ImageInfo::inspect(&not_riff, LIMIT)));
        let mut no_start_code = webp_lossy(10, 10);
        no_start_code[23] = 0;
        assert!(is_malformed(ImageInfo::inspect(&no_start_code, LIMIT)));
        let mut not_key_frame = webp_lossy(10, 10);
        not_key_frame[20] |= 1;
        assert!(is_malformed(ImageInfo::inspect(&not_key_frame, LIMIT)));
        let mut bad_signature = webp_lossless(10, 10);
        bad_signature[20] = 0x2E;
        assert!(is_malformed(ImageInfo::inspect(&bad_signature, LIMIT)));
        let mut future_version = webp_lossless(10, 10);
        future_version[24] |= 0x20;
        assert!(is_malformed(ImageInfo::inspect(&future_version, LIMIT)));
        let alpha_chunk_first = riff(b"ALPH", &[0; 16]);
        assert!(is_malformed(ImageInfo::inspect(&alpha_chunk_first, LIMIT)));
        let short_chunk = riff(b"VP8X", &[0; 4]);
        assert!(is_malformed(ImageInfo::inspect(&short_chunk, LIMIT)));
    }

    #[test]
    fn refuses_zero_dimensions() {
        for bytes in [
            png(0, 10),
            png(10, 0),
            jpeg(0, 10),
            jpeg(10, 0),
            webp_lossy(0, 5),
        ] {
            assert!(
                is_malformed(ImageInfo::inspect(&bytes, LIMIT)),
                "{bytes:02X?}"
            );
        }
    }

    #[test]
    fn refuses_more_pixels_than_the_limit() {
        let err = ImageInfo::inspect(&png(10_000, 10_000), LIMIT);
        assert_eq!(
            err,
            Err(ImageError::TooManyPixels {
                width: 10_000,
                height: 10_000,
                max_pixels: LIMIT
            })
        );
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err(
                "image is 10000x10000 = 100.0 megapixels, over the limit of 40.0 megapixels".into()
            )
        );
        // The bomb check applies to every format, however small the file.
        for bomb in [
            jpeg(65_535, 65_535),
            webp_lossless(16_384, 16_384),
            webp_extended(1 << 24, 1 << 24),
        ] {
            assert!(matches!(
                ImageInfo::inspect(&bomb, LIMIT),
                Err(ImageError::TooManyPixels { .. })
            ));
        }
    }

    #[test]
    fn the_limit_itself_is_allowed() {
        assert_eq!(
            ImageInfo::inspect(&png(8_000, 5_000), LIMIT),
            info(ImageType::Png, 8_000, 5_000)
        );
        assert!(ImageInfo::inspect(&png(8_000, 5_001), LIMIT).is_err());
    }

    /// xorshift64: deterministic, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }

        fn bytes(&mut self, len: usize) -> Vec<u8> {
            (0..len).map(|_| self.next().to_le_bytes()[0]).collect()
        }
    }

    fn check_never_panics(bytes: &[u8]) {
        // Whatever comes back, an accepted image must honour the contract.
        if let Ok(info) = ImageInfo::inspect(bytes, LIMIT) {
            assert!(info.width > 0 && info.height > 0, "{bytes:02X?}");
            assert!(u64::from(info.width) * u64::from(info.height) <= LIMIT);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_or_damaged_input() {
        let valid = [
            png(33, 44),
            jpeg(55, 66),
            webp_lossy(77, 88),
            webp_lossless(99, 11),
            webp_extended(22, 33),
        ];
        for image in &valid {
            for len in 0..=image.len() {
                check_never_panics(&image[..len]);
            }
        }

        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // Pure noise rarely gets past the sniffer, so most cases start with
        // a real signature to reach the header parsers.
        let prefixes: [&[u8]; 7] = [
            b"",
            &[0xFF, 0xD8, 0xFF],
            &PNG_SIGNATURE,
            b"RIFF\0\0\0\0WEBP",
            b"RIFF\0\0\0\0WEBPVP8 ",
            b"RIFF\0\0\0\0WEBPVP8L",
            b"RIFF\0\0\0\0WEBPVP8X",
        ];
        for _ in 0..5_000 {
            let mut bytes = prefixes[rng.below(prefixes.len())].to_vec();
            let len = rng.below(64);
            bytes.extend(rng.bytes(len));
            check_never_panics(&bytes);
        }
        // Flipping bytes of valid images reaches the deeper branches,
        // including segment lengths and marker bytes in the JPEG walk.
        for _ in 0..5_000 {
            let mut bytes = valid[rng.below(valid.len())].clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.bytes(1)[0];
            }
            check_never_panics(&bytes);
        }
    }
}
