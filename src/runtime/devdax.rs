//! The device-dax layout of an nvdimm namespace, for `nvdimm_dax_info` platforms: the info
//! block (`struct nd_pfn_sb` with the `NVDIMM_DAX_INFO` signature, drivers/nvdimm/pfn.h)
//! that the guest kernel's `nd_pfn_init()` would otherwise compute and write at offset 4 KiB
//! of the namespace, and the settings the guest must then give the namespace and the dax
//! device through sysfs so that `nd_pfn_validate()` accepts it (uuids, size, 1 GiB align,
//! mode pmem). The namespace starts at offset 0 of the backing file (one DIMM, label
//! namespace at DPA 0; QEMU keeps the label area at the end of the file).

/// `struct nd_pfn_sb` is one 4 KiB block at this offset of the namespace.
pub const INFO_OFFSET: u64 = 4096;
const SIG: &[u8; 16] = b"NVDIMM_DAX_INFO\0";
const PFN_MODE_PMEM: u32 = 2;
const MAX_STRUCT_PAGE_SIZE: u16 = 64;
const GUEST_PAGE: u64 = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaxLayout {
    pub namespace_uuid: [u8; 16],
    pub dax_uuid: [u8; 16],
    /// The namespace's size (a multiple of `align`).
    pub namespace_size: u64,
    /// The device-dax alignment (1 GiB for PUD mappings).
    pub align: u64,
}

pub fn uuid_text(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `nd_fletcher64(addr, len, le=true)` (drivers/nvdimm/core.c).
pub fn fletcher64(data: &[u8]) -> u64 {
    let mut lo: u32 = 0;
    let mut hi: u64 = 0;
    for w in data.chunks_exact(4) {
        lo = lo.wrapping_add(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        hi = hi.wrapping_add(lo as u64);
    }
    (hi << 32) | lo as u64
}

impl DaxLayout {
    /// Fresh uuids; the namespace is the device's size rounded down to `align`.
    pub fn new(device_size: u64, align: u64) -> DaxLayout {
        DaxLayout {
            namespace_uuid: crate::util::id::random_uuid_bytes(),
            dax_uuid: crate::util::id::random_uuid_bytes(),
            namespace_size: device_size / align * align,
            align,
        }
    }

    /// Where the data starts: after the 8 KiB reserve and the struct pages of the whole
    /// namespace, rounded up to `align` (as `nd_pfn_init()` computes it, for an aligned start).
    pub fn dataoff(&self) -> u64 {
        let npfns = (self.namespace_size - 8192) / GUEST_PAGE;
        let end = 8192 + MAX_STRUCT_PAGE_SIZE as u64 * npfns;
        end.div_ceil(self.align) * self.align
    }

    /// The 4 KiB info block, checksummed.
    pub fn info_block(&self) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        let dataoff = self.dataoff();
        let npfns = (self.namespace_size - dataoff) / GUEST_PAGE;
        b[0..16].copy_from_slice(SIG);
        b[16..32].copy_from_slice(&self.dax_uuid);
        b[32..48].copy_from_slice(&self.namespace_uuid);
        // flags (48..52) stay 0
        b[52..54].copy_from_slice(&1u16.to_le_bytes()); // version_major
        b[54..56].copy_from_slice(&4u16.to_le_bytes()); // version_minor
        b[56..64].copy_from_slice(&dataoff.to_le_bytes());
        b[64..72].copy_from_slice(&npfns.to_le_bytes());
        b[72..76].copy_from_slice(&PFN_MODE_PMEM.to_le_bytes());
        // start_pad (76..80) and end_trunc (80..84) stay 0: start and size are aligned
        b[84..88].copy_from_slice(&(self.align as u32).to_le_bytes());
        b[88..92].copy_from_slice(&(GUEST_PAGE as u32).to_le_bytes());
        b[92..94].copy_from_slice(&MAX_STRUCT_PAGE_SIZE.to_le_bytes());
        let sum = fletcher64(&b);
        b[4088..4096].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// `/kcross/devdax.conf` for the guest test.
    pub fn guest_conf(&self) -> String {
        format!(
            "namespace_uuid={}\ndax_uuid={}\nnamespace_size={}\nalign={}\n",
            uuid_text(&self.namespace_uuid),
            uuid_text(&self.dax_uuid),
            self.namespace_size,
            self.align
        )
    }

    /// Write the info block into a (sparse) backing file.
    pub fn write_into(&self, backing: &std::path::Path) -> crate::Result<()> {
        use crate::error::IoContext;
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(backing)
            .ctx(|| format!("opening {}", backing.display()))?;
        f.seek(SeekFrom::Start(INFO_OFFSET))
            .ctx(|| format!("seeking in {}", backing.display()))?;
        f.write_all(&self.info_block())
            .ctx(|| format!("writing {}", backing.display()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_block_fields_and_checksum() {
        let l = DaxLayout {
            namespace_uuid: [1; 16],
            dax_uuid: [2; 16],
            namespace_size: 4 << 30,
            align: 1 << 30,
        };
        assert_eq!(l.dataoff(), 1 << 30);
        let b = l.info_block();
        assert_eq!(&b[..15], b"NVDIMM_DAX_INFO");
        assert_eq!(u64::from_le_bytes(b[56..64].try_into().unwrap()), 1 << 30);
        assert_eq!(u64::from_le_bytes(b[64..72].try_into().unwrap()), 786_432);
        assert_eq!(u32::from_le_bytes(b[84..88].try_into().unwrap()), 1 << 30);
        // the kernel's check: fletcher64 over the block with the checksum field zeroed
        let mut z = b.clone();
        let stored = u64::from_le_bytes(z[4088..].try_into().unwrap());
        z[4088..].fill(0);
        assert_eq!(fletcher64(&z), stored);
        assert_ne!(stored, 0);
        assert_eq!(
            uuid_text(&[0xab; 16]),
            "abababab-abab-abab-abab-abababababab"
        );
        assert!(l.guest_conf().contains("namespace_size=4294967296\n"));
    }

    #[test]
    fn size_rounds_down_to_the_alignment() {
        let l = DaxLayout::new((4 << 30) + (128 << 10), 1 << 30);
        assert_eq!(l.namespace_size, 4 << 30);
        assert_ne!(l.namespace_uuid, l.dax_uuid);
    }
}
