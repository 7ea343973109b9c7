//! Random identifiers.

use std::io::Read;

/// 16 random bytes shaped as an RFC 4122 version-4 uuid.
pub fn random_uuid_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut b);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

/// A random version-4 uuid in its text form (`8-4-4-4-12` hex digits).
pub fn random_uuid() -> String {
    let h: Vec<String> = random_uuid_bytes()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}
