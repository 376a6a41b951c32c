//! C2SP tlog-tiles: tile paths (`tile/{L}/{N}[.p/{W}]`, `tile/entries/{N}[.p/{W}]`, N in 3-digit groups
//! `x001/x234/067`), and entry bundles (each entry prefixed by its length as a big-endian uint16).

use super::merkle::{Hash, empty_root, fold, leaf_hash, root};

/// Hashes (or entries) per full tile.
pub const WIDTH: u64 = 256;

/// Levels of hash tiles (8 tree levels each): 2^64 leaves.
pub const LEVELS: usize = 8;

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// Hashes at tree level `8 × L` (level 0: the leaf hashes).
    Hashes(u8),
    /// The entries themselves.
    Entries,
}

/// One tile: its kind, index and width (256 for a full tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub kind: TileKind,
    pub index: u64,
    pub width: u64,
}

impl Tile {
    /// The path of this tile under the log's prefix.
    pub fn path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes(l) => l.to_string(),
            TileKind::Entries => "entries".into(),
        };
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        let index: Vec<String> = groups
            .iter()
            .rev()
            .enumerate()
            .map(|(i, g)| {
                if i + 1 < groups.len() {
                    format!("x{g:03}")
                } else {
                    format!("{g:03}")
                }
            })
            .collect();
        let partial = if self.width < WIDTH {
            format!(".p/{}", self.width)
        } else {
            String::new()
        };
        format!("tile/{level}/{}{partial}", index.join("/"))
    }

    /// Parses the segments after `tile/` (`["0", "x001", "234.p", "7"]`); `None` for anything that is
    /// not a well-formed tile path.
    pub fn parse(segments: &[&str]) -> Option<Self> {
        let (level, rest) = segments.split_first()?;
        let kind = match *level {
            "entries" => TileKind::Entries,
            l if l.len() <= 2 && l.bytes().all(|b| b.is_ascii_digit()) => {
                TileKind::Hashes(l.parse().ok().filter(|l: &u8| *l <= 63)?)
            }
            _ => return None,
        };
        let (mut groups, width) = match rest {
            [.., last, w] if last.ends_with(".p") => {
                let width: u64 = digits(w)?;
                if width == 0 || width >= WIDTH {
                    return None;
                }
                let mut groups: Vec<&str> = rest[..rest.len() - 2].to_vec();
                groups.push(last.strip_suffix(".p")?);
                (groups, width)
            }
            _ => (rest.to_vec(), WIDTH),
        };
        let last = groups.pop()?;
        let mut index: u64 = 0;
        for group in groups {
            let g = group.strip_prefix('x')?;
            if g.len() != 3 {
                return None;
            }
            index = index.checked_mul(1000)?.checked_add(digits(g)?)?;
        }
        if last.len() != 3 {
            return None;
        }
        let index = index.checked_mul(1000)?.checked_add(digits(last)?)?;
        let tile = Self { kind, index, width };
        // One spelling per tile: no leading x000 groups.
        (tile.path() == format!("tile/{}", segments.join("/"))).then_some(tile)
    }
}

fn digits(raw: &str) -> Option<u64> {
    (!raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse().ok())
        .flatten()
}

/// Appends `entry` to a bundle.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) {
    let len = u16::try_from(entry.len()).expect("register entries are under 64 KiB");
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
}

/// The entries of a bundle; `None` if it is malformed.
pub fn entries(bundle: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(2)?;
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let (entry, tail) = tail.split_at_checked(len)?;
        out.push(entry);
        rest = tail;
    }
    Some(out)
}

/// The hashes of a hash tile.
pub fn hashes(tile: &[u8]) -> Vec<Hash> {
    tile.chunks_exact(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect()
}

/// A tree's tiles as leaves are appended: the partial tile of every level, the partial bundle, and the
/// tiles and bundles that filled. The register job grows the stored tree by a run's leaves; a restore
/// grows an empty one by a mirror's, so both derive the same tiles from the same leaves.
#[derive(Debug, Clone)]
pub struct Growth {
    pub size: u64,
    /// The partial hash tile of every level, lowest first.
    pub partials: Vec<Vec<Hash>>,
    pub bundle: Vec<u8>,
    /// Hash tiles that filled: (level, index, hashes).
    pub tiles: Vec<(u8, u64, Vec<u8>)>,
    /// Entry bundles that filled: (index, entries).
    pub bundles: Vec<(u64, Vec<u8>)>,
}

impl Growth {
    /// A tree of `size` leaves whose partial tiles (lowest first) and partial bundle are these.
    pub fn from(size: u64, partial_tiles: &[Vec<u8>], bundle: Vec<u8>) -> Self {
        let mut partials: Vec<Vec<Hash>> = partial_tiles.iter().map(|t| hashes(t)).collect();
        partials.resize(LEVELS, Vec::new());
        Self {
            size,
            partials,
            bundle,
            tiles: Vec::new(),
            bundles: Vec::new(),
        }
    }

    /// Appends one leaf.
    pub fn push(&mut self, leaf: &[u8]) {
        push_entry(&mut self.bundle, leaf);
        let mut hash = leaf_hash(leaf);
        self.size += 1;
        if self.size.is_multiple_of(WIDTH) {
            self.bundles
                .push((self.size / WIDTH - 1, std::mem::take(&mut self.bundle)));
        }
        // Up the levels while a tile fills: its root is the next level's hash.
        let mut count = self.size;
        for (level, tile) in self.partials.iter_mut().enumerate() {
            tile.push(hash);
            if !count.is_multiple_of(WIDTH) {
                break;
            }
            let index = count / WIDTH - 1;
            self.tiles.push((level as u8, index, tile.concat()));
            hash = root(tile);
            tile.clear();
            count /= WIDTH;
        }
    }

    /// The partial hash tiles' bytes, lowest level first.
    pub fn partial_tiles(&self) -> Vec<Vec<u8>> {
        self.partials.iter().map(|t| t.concat()).collect()
    }

    /// The tree's root, from the compact range its partial tiles hold: per level (highest first), the
    /// partial tile's hashes cut into perfect subtrees by the binary digits of its width.
    pub fn root(&self) -> Hash {
        let mut subtrees = Vec::new();
        for tile in self.partials.iter().rev() {
            let mut at = 0;
            for bit in (0..8).rev() {
                let chunk = 1usize << bit;
                if tile.len() & chunk != 0 {
                    subtrees.push(root(&tile[at..at + chunk]));
                    at += chunk;
                }
            }
        }
        if subtrees.is_empty() {
            empty_root()
        } else {
            fold(&subtrees)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grown_tree_has_the_root_of_its_leaves_however_it_was_grown() {
        for n in [0usize, 1, 5, 255, 256, 257, 300, 513, 70_000] {
            let leaves: Vec<Vec<u8>> = (0..n).map(|i| (i as u64).to_be_bytes().to_vec()).collect();
            let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
            let mut at_once = Growth::from(0, &[], Vec::new());
            leaves.iter().for_each(|l| at_once.push(l));
            assert_eq!(at_once.root(), root(&hashes), "{n} leaves");
            // In two runs, the second from what the first left partial.
            let half = n / 2;
            let mut first = Growth::from(0, &[], Vec::new());
            leaves[..half].iter().for_each(|l| first.push(l));
            let mut second = Growth::from(first.size, &first.partial_tiles(), first.bundle.clone());
            leaves[half..].iter().for_each(|l| second.push(l));
            assert_eq!(second.root(), root(&hashes), "{n} leaves in two runs");
            assert_eq!(
                first.tiles.len() + second.tiles.len(),
                at_once.tiles.len(),
                "{n}: every full tile written once"
            );
        }
    }

    #[test]
    fn tile_paths_group_the_index_by_three_digits() {
        let tile = |kind, index, width| Tile { kind, index, width };
        assert_eq!(
            tile(TileKind::Hashes(0), 1_234_067, 256).path(),
            "tile/0/x001/x234/067"
        );
        assert_eq!(tile(TileKind::Hashes(1), 5, 7).path(), "tile/1/005.p/7");
        assert_eq!(
            tile(TileKind::Entries, 1000, 256).path(),
            "tile/entries/x001/000"
        );
        for t in [
            tile(TileKind::Hashes(0), 1_234_067, 256),
            tile(TileKind::Hashes(2), 0, 1),
            tile(TileKind::Entries, 999_999, 255),
        ] {
            let path = t.path();
            let segments: Vec<&str> = path.split('/').skip(1).collect();
            assert_eq!(Tile::parse(&segments), Some(t), "{path}");
        }
        for bad in [
            "0/1",
            "0/0001",
            "0/x000/001",
            "0/001.p/0",
            "0/001.p/256",
            "x/001",
            "0/001.p",
            "0/x1/001",
            "entries/001.p/abc",
            "64/000",
        ] {
            let segments: Vec<&str> = bad.split('/').collect();
            assert_eq!(Tile::parse(&segments), None, "{bad}");
        }
    }

    #[test]
    fn a_bundle_reads_back_its_entries() {
        let mut bundle = Vec::new();
        push_entry(&mut bundle, b"one");
        push_entry(&mut bundle, b"");
        push_entry(&mut bundle, b"three");
        assert_eq!(entries(&bundle).unwrap(), [&b"one"[..], b"", b"three"]);
        assert!(entries(&bundle[..bundle.len() - 1]).is_none());
    }
}
