use std::fmt;

use sha2::{Digest, Sha256};

use super::ImageType;

/// Where an image's bytes live: `raw/<sha256 hex>.<ext>`. Content-addressed,
/// so the same bytes are stored once, and a key never changes meaning
/// (which is what lets `/raw/…` be cached forever).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn for_content(bytes: &[u8], image_type: ImageType) -> Self {
        let digest = Sha256::digest(bytes);
        let mut key = String::with_capacity(4 + 64 + 5);
        key.push_str("raw/");
        super::push_hex(&mut key, &digest);
        key.push('.');
        key.push_str(image_type.extension());
        BlobKey(key)
    }

    /// Parses a key named from outside (a `/raw/<name>` path), accepting
    /// exactly the shape `for_content` produces.
    pub fn parse(key: &str) -> Option<Self> {
        let name = key.strip_prefix("raw/")?;
        let (hash, ext) = name.split_once('.')?;
        let ok = hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && ImageType::from_extension(ext).is_some_and(|t| t.extension() == ext);
        ok.then(|| BlobKey(key.to_owned()))
    }

    pub fn from_trusted(s: String) -> Self {
        BlobKey(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the content, hex: a strong ETag for free.
    pub fn content_hash(&self) -> &str {
        self.0.get(4..68).unwrap_or_default()
    }

    pub fn image_type(&self) -> Option<ImageType> {
        self.0
            .rsplit('.')
            .next()
            .and_then(ImageType::from_extension)
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({})", self.0)
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_key_and_the_key_parses_back() {
        let a = BlobKey::for_content(b"abc", ImageType::Png);
        assert_eq!(
            a.as_str(),
            "raw/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.png"
        );
        assert_eq!(a, BlobKey::for_content(b"abc", ImageType::Png));
        assert_eq!(BlobKey::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.content_hash().len(), 64);
        assert_eq!(a.image_type(), Some(ImageType::Png));
    }

    #[test]
    fn only_the_exact_shape_parses() {
        let hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        for bad in [
            format!("{hash}.png"),
            format!("raw/{hash}.gif"),
            format!("raw/{hash}.jpeg"),
            format!("raw/{}.png", hash.to_uppercase()),
            format!("raw/../{hash}.png"),
            format!("raw/{hash}.png.png"),
            "raw/abc.png".to_owned(),
        ] {
            assert_eq!(BlobKey::parse(&bad), None, "{bad}");
        }
    }
}
