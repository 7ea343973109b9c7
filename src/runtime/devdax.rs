//! The device-dax layout of an nvdimm namespace, for `nvdimm_dax_info` platforms: the info
//! block (`struct nd_pfn_sb` with the `NVDIMM_DAX_INFO` signature, drivers/nvdimm/pfn.h)
//! that the guest kernel's `nd_pfn_init()` would otherwise compute and write at offset 4 KiB
//! of the namespace, and the settings the guest must then give the namespace and the dax
//! device through sysfs so that `nd_pfn_validate()` accepts it (uuids, size, 1 GiB align,
//! mode pmem). The namespace starts at offset 0 of the backing file (one DIMM, label
//! namespace at DPA 0; QEMU keeps the label area at the end of the file). The block carries
//! the guest kernel's page size, read from the cell's .config (`page_size`): the kernel
//! counts the namespace's pages (and the struct pages it reserves) in its own page size.

/// `struct nd_pfn_sb` is one 4 KiB block at this offset of the namespace.
pub const INFO_OFFSET: u64 = 4096;
const SIG: &[u8; 16] = b"NVDIMM_DAX_INFO\0";
const PFN_MODE_PMEM: u32 = 2;
const MAX_STRUCT_PAGE_SIZE: u16 = 64;

/// The guest kernel's page size, and the .config line that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSize {
    pub bytes: u64,
    /// `CONFIG_PAGE_SHIFT=16`, `CONFIG_PPC_64K_PAGES=y`, ... or why 4 KiB was assumed.
    pub evidence: String,
}

/// The page size a kernel was configured with, from its .config: `CONFIG_PAGE_SHIFT=<n>`
/// (6.8 and later, every arch), else the arch's page-size choice that is set
/// (`CONFIG_PPC_64K_PAGES=y`, `CONFIG_ARM64_16K_PAGES=y`: `CONFIG_<ARCH>_<n>K_PAGES=y`).
/// Lines such as `CONFIG_HAVE_PAGE_SIZE_64KB=y` (what the arch could do) or
/// `CONFIG_PAGE_SIZE_LESS_THAN_64KB=y` are not the choice. An arch with no choice (x86 and
/// riscv before 6.8) has 4 KiB pages.
pub fn page_size(config: &str) -> PageSize {
    let set: Vec<&str> = config
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CONFIG_"))
        .collect();
    let kib = |digits: &str| digits.parse::<u64>().ok().map(|k| k << 10);
    let found = set
        .iter()
        .find_map(|l| {
            let shift = l.strip_prefix("CONFIG_PAGE_SHIFT=")?.parse::<u32>().ok()?;
            (10..=20).contains(&shift).then(|| (1u64 << shift, *l))
        })
        .or_else(|| {
            set.iter().find_map(|l| {
                let name = l.strip_suffix("=y")?.strip_prefix("CONFIG_")?;
                let (arch, k) = name.strip_suffix("K_PAGES")?.rsplit_once('_')?;
                (!arch.is_empty() && !arch.starts_with("HAVE_"))
                    .then(|| kib(k))
                    .flatten()
                    .map(|b| (b, *l))
            })
        });
    match found {
        Some((bytes, line)) => PageSize {
            bytes,
            evidence: line.to_string(),
        },
        None => PageSize {
            bytes: 4096,
            evidence: "no page size option in the .config: 4 KiB".to_string(),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaxLayout {
    pub namespace_uuid: [u8; 16],
    pub dax_uuid: [u8; 16],
    /// The namespace's size (a multiple of `align`).
    pub namespace_size: u64,
    /// The device-dax alignment (1 GiB for PUD mappings).
    pub align: u64,
    /// The guest kernel's page size.
    pub page_size: u64,
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
    pub fn new(device_size: u64, align: u64, page_size: u64) -> DaxLayout {
        DaxLayout {
            namespace_uuid: crate::util::id::random_uuid_bytes(),
            dax_uuid: crate::util::id::random_uuid_bytes(),
            namespace_size: device_size / align * align,
            align,
            page_size,
        }
    }

    /// Where the data starts: after the 8 KiB reserve and the struct pages of the whole
    /// namespace, rounded up to `align` (as `nd_pfn_init()` computes it, for an aligned start).
    pub fn dataoff(&self) -> u64 {
        let npfns = (self.namespace_size - 8192) / self.page_size;
        let end = 8192 + MAX_STRUCT_PAGE_SIZE as u64 * npfns;
        end.div_ceil(self.align) * self.align
    }

    /// The 4 KiB info block, checksummed.
    pub fn info_block(&self) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        let dataoff = self.dataoff();
        let npfns = (self.namespace_size - dataoff) / self.page_size;
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
        b[88..92].copy_from_slice(&(self.page_size as u32).to_le_bytes());
        b[92..94].copy_from_slice(&MAX_STRUCT_PAGE_SIZE.to_le_bytes());
        let sum = fletcher64(&b);
        b[4088..4096].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// `/kcross/devdax.conf` for the guest test.
    pub fn guest_conf(&self) -> String {
        format!(
            "namespace_uuid={}\ndax_uuid={}\nnamespace_size={}\nalign={}\npage_size={}\n",
            uuid_text(&self.namespace_uuid),
            uuid_text(&self.dax_uuid),
            self.namespace_size,
            self.align,
            self.page_size
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
            page_size: 4096,
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

    /// The page-size lines of a real .config (tests/fixtures/config/README.md).
    fn config(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/config")
            .join(name);
        std::fs::read_to_string(&p).unwrap()
    }

    fn page(bytes: u64, evidence: &str) -> PageSize {
        PageSize {
            bytes,
            evidence: evidence.to_string(),
        }
    }

    #[test]
    fn page_size_from_real_configs() {
        // 6.12: CONFIG_PAGE_SHIFT decides (not CONFIG_HAVE_PAGE_SIZE_*, not *_LESS_THAN_*)
        assert_eq!(
            page_size(&config("powerpc64le-6.12-pud.config")),
            page(4096, "CONFIG_PAGE_SHIFT=12")
        );
        assert_eq!(
            page_size(&config("powerpc64le-6.12-ppc64le_defconfig.config")),
            page(65536, "CONFIG_PAGE_SHIFT=16")
        );
        assert_eq!(
            page_size(&config("x86_64-6.12-pud.config")),
            page(4096, "CONFIG_PAGE_SHIFT=12")
        );
    }

    #[test]
    fn page_size_without_page_shift() {
        // 6.1: the arch's choice (`# ... is not set` lines and PAGE_SIZE_LESS_THAN_* are not it)
        assert_eq!(
            page_size(&config("powerpc64le-6.1-pud.config")),
            page(4096, "CONFIG_PPC_4K_PAGES=y")
        );
        assert_eq!(
            page_size(&config("powerpc64le-6.1-ppc64le_defconfig.config")),
            page(65536, "CONFIG_PPC_64K_PAGES=y")
        );
        // x86_64 6.1 has no page size option at all
        assert_eq!(
            page_size(&config("x86_64-6.1-pud.config")),
            page(4096, "no page size option in the .config: 4 KiB")
        );
    }

    #[test]
    fn the_info_block_counts_in_the_guest_page_size() {
        let l = |page_size| DaxLayout {
            namespace_uuid: [1; 16],
            dax_uuid: [2; 16],
            namespace_size: 4 << 30,
            align: 1 << 30,
            page_size,
        };
        let (k4, k64) = (l(4096).info_block(), l(65536).info_block());
        let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        assert_eq!((u32_at(&k4, 88), u32_at(&k64, 88)), (4096, 65536));
        // 3 GiB of data after the 1 GiB-aligned dataoff, in pages of each size
        assert_eq!((u64_at(&k4, 64), u64_at(&k64, 64)), (786_432, 49_152));
        assert!(l(65536).guest_conf().contains("page_size=65536\n"));
    }

    #[test]
    fn size_rounds_down_to_the_alignment() {
        let l = DaxLayout::new((4 << 30) + (128 << 10), 1 << 30, 65536);
        assert_eq!(l.namespace_size, 4 << 30);
        assert_ne!(l.namespace_uuid, l.dax_uuid);
    }
}
