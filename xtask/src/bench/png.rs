//! Valid PNGs of a chosen size, built with std only.
//!
//! The pixels go into *stored* (uncompressed) deflate blocks: the file is
//! then as large as the raw image, which is what an upload benchmark wants
//! (a predictable ~1 MB body), and no compressor is needed. Each request
//! must differ byte-wise because the server de-duplicates uploads by hash,
//! so a small `tEXt` chunk is spliced in before `IEND`; only that chunk's
//! CRC has to be computed per request.

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

/// The largest payload of one stored deflate block (its length is a u16).
const MAX_STORED_BLOCK: usize = 0xFFFF;

/// A PNG held without its `IEND` chunk, so text can be appended cheaply.
#[derive(Debug, Clone)]
pub struct Png {
    head: Vec<u8>,
}

impl Png {
    /// An 8-bit RGB image with a deterministic pattern.
    pub fn rgb(width: u32, height: u32) -> Png {
        let (w, h) = (width as usize, height as usize);
        let mut raw = Vec::with_capacity((w * 3 + 1) * h);
        for y in 0..h {
            raw.push(0); // filter type None: the bytes are the pixels.
            for x in 0..w {
                raw.push((x * 255 / w.max(1)) as u8);
                raw.push((y * 255 / h.max(1)) as u8);
                raw.push(((x ^ y) & 0xFF) as u8);
            }
        }

        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        // Bit depth 8, colour type 2 (RGB), deflate, adaptive filters, no interlace.
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);

        let idat = zlib_stored(&raw);
        let mut head = Vec::with_capacity(SIGNATURE.len() + 25 + idat.len() + 12);
        head.extend_from_slice(&SIGNATURE);
        write_chunk(&mut head, b"IHDR", &ihdr);
        write_chunk(&mut head, b"IDAT", &idat);
        Png { head }
    }

    /// Size of [`Png::write_with_text`]'s output for this text.
    pub fn len_with_text(&self, keyword: &str, text: &str) -> usize {
        self.head.len() + 12 + keyword.len() + 1 + text.len() + 12
    }

    /// Appends the whole file, with a `tEXt` chunk `keyword`=`text` before
    /// `IEND`. The keyword must be 1–79 Latin-1 characters, per the spec.
    pub fn write_with_text(&self, keyword: &str, text: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.head);
        let mut data = Vec::with_capacity(keyword.len() + 1 + text.len());
        data.extend_from_slice(keyword.as_bytes());
        data.push(0);
        data.extend_from_slice(text.as_bytes());
        write_chunk(out, b"tEXt", &data);
        write_chunk(out, b"IEND", &[]);
    }

    /// The file without any text chunk.
    #[cfg(test)]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.head.clone();
        write_chunk(&mut out, b"IEND", &[]);
        out
    }
}

fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunks are far below the 2^31 limit here; a larger one would be a bug.
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = !crc32_update(crc32_update(!0, kind), data);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored deflate blocks (RFC 1950 + RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let blocks = data.len().div_ceil(MAX_STORED_BLOCK).max(1);
    let mut out = Vec::with_capacity(2 + data.len() + blocks * 5 + 4);
    // CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes CMF·256+FLG a
    // multiple of 31 (no dictionary, "fastest" level).
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(MAX_STORED_BLOCK).peekable();
    if chunks.peek().is_none() {
        // An empty input still needs one (final, empty) block.
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(block) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last)); // BFINAL bit; BTYPE 00 = stored.
        let len = block.len() as u16; // chunks() keeps it ≤ 0xFFFF.
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5552 is the longest run for which the sums cannot overflow a u32
    // before reducing (the bound zlib uses).
    let (mut a, mut b) = (1u32, 0u32);
    for run in data.chunks(5552) {
        for &byte in run {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// The raw CRC register update (no pre/post inversion), so a chunk's type
/// and data can be fed separately.
fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc = CRC_TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// The reflected CRC-32 table (polynomial 0xEDB88320) of ISO 3309, which
/// PNG uses; built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn crc32(data: &[u8]) -> u32 {
        !crc32_update(!0, data)
    }

    /// (type, data) of every chunk, asserting each CRC on the way.
    fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!(png[..8], SIGNATURE);
        let mut rest = &png[8..];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = rest[4..8].try_into().unwrap();
            let data = &rest[8..8 + len];
            let crc = u32::from_be_bytes(rest[8 + len..12 + len].try_into().unwrap());
            let mut typed = kind.to_vec();
            typed.extend_from_slice(data);
            assert_eq!(
                crc,
                crc32(&typed),
                "CRC of {}",
                String::from_utf8_lossy(&kind)
            );
            out.push((kind, data.to_vec()));
            rest = &rest[12 + len..];
        }
        out
    }

    /// Inflates a zlib stream made only of stored blocks.
    fn inflate_stored(zlib: &[u8]) -> Vec<u8> {
        assert_eq!((u16::from(zlib[0]) << 8 | u16::from(zlib[1])) % 31, 0);
        assert_eq!(zlib[0] & 0x0F, 8, "deflate");
        let mut pos = 2;
        let mut out = Vec::new();
        loop {
            let header = zlib[pos];
            assert_eq!(header & 0b110, 0, "stored block");
            let len = u16::from_le_bytes([zlib[pos + 1], zlib[pos + 2]]);
            let nlen = u16::from_le_bytes([zlib[pos + 3], zlib[pos + 4]]);
            assert_eq!(len, !nlen);
            pos += 5;
            out.extend_from_slice(&zlib[pos..pos + usize::from(len)]);
            pos += usize::from(len);
            if header & 1 == 1 {
                break;
            }
        }
        let adler = u32::from_be_bytes(zlib[pos..pos + 4].try_into().unwrap());
        assert_eq!(adler, adler32(&out));
        assert_eq!(pos + 4, zlib.len(), "nothing after the checksum");
        out
    }

    #[test]
    fn checksums_match_known_vectors() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // The IEND chunk's CRC, as found at the end of every PNG.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        // Long enough to exercise the deferred modular reduction.
        let naive = |data: &[u8]| {
            let (mut a, mut b) = (1u32, 0u32);
            for &byte in data {
                a = (a + u32::from(byte)) % 65_521;
                b = (b + a) % 65_521;
            }
            (b << 16) | a
        };
        let long = [0xFF; 100_000];
        assert_eq!(adler32(&long), naive(&long));
    }

    #[test]
    fn the_image_is_a_well_formed_png_of_about_a_megabyte() {
        let png = Png::rgb(600, 580).to_bytes();
        assert!((1_000_000..1_100_000).contains(&png.len()), "{}", png.len());
        let chunks = chunks(&png);
        let kinds: Vec<&[u8; 4]> = chunks.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [b"IHDR", b"IDAT", b"IEND"]);
        let ihdr = &chunks[0].1;
        assert_eq!(ihdr[..8], [0, 0, 2, 0x58, 0, 0, 2, 0x44]); // 600 × 580
        assert_eq!(ihdr[8..], [8, 2, 0, 0, 0]);
        let raw = inflate_stored(&chunks[1].1);
        assert_eq!(raw.len(), (600 * 3 + 1) * 580);
        assert!(
            raw.chunks(600 * 3 + 1).all(|row| row[0] == 0),
            "filter bytes"
        );
        assert!(chunks[2].1.is_empty());
    }

    #[test]
    fn text_is_spliced_before_iend_and_makes_each_file_unique() {
        let png = Png::rgb(40, 30);
        let mut first = Vec::new();
        png.write_with_text("Comment", "request 1", &mut first);
        let mut second = Vec::new();
        png.write_with_text("Comment", "request 2", &mut second);
        assert_ne!(first, second);
        assert_eq!(first.len(), png.len_with_text("Comment", "request 1"));

        let chunks = chunks(&first);
        let kinds: Vec<&[u8; 4]> = chunks.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [b"IHDR", b"IDAT", b"tEXt", b"IEND"]);
        assert_eq!(chunks[2].1, b"Comment\0request 1");
    }

    #[test]
    fn stored_blocks_split_at_the_u16_limit() {
        let data: Vec<u8> = (0..MAX_STORED_BLOCK * 2 + 10).map(|i| i as u8).collect();
        let zlib = zlib_stored(&data);
        assert_eq!(zlib.len(), 2 + 3 * 5 + data.len() + 4);
        assert_eq!(inflate_stored(&zlib), data);
        assert_eq!(inflate_stored(&zlib_stored(&[])), b"");
    }
}
