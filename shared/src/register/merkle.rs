//! RFC 6962 Merkle tree hashing: leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right), a
//! tree of `n` leaves split at the largest power of two below `n`, the empty tree = SHA-256("").

use sha2::{Digest, Sha256};

/// One tree hash.
pub type Hash = [u8; 32];

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root of the tree whose leaf hashes are `leaves` (MTH in RFC 6962 §2.1).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The root of a tree given as the hashes of its perfect subtrees, left to right, each at most as
/// large as the one before (the compact range of `[0, n)`).
pub fn fold(subtrees: &[Hash]) -> Hash {
    let Some((last, rest)) = subtrees.split_last() else {
        return empty_root();
    };
    rest.iter()
        .rev()
        .fold(*last, |acc, left| node_hash(left, &acc))
}

/// The audit path of leaf `index` in the tree of `leaves` (PATH in RFC 6962 §2.1.1).
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n);
    if index < k {
        let mut path = inclusion_proof(index, &leaves[..k]);
        path.push(root(&leaves[k..]));
        path
    } else {
        let mut path = inclusion_proof(index - k, &leaves[k..]);
        path.push(root(&leaves[..k]));
        path
    }
}

/// Whether `proof` shows leaf `leaf` at `index` in a tree of `size` leaves with root `root` (RFC 9162
/// §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// The consistency proof between the tree of the first `old` leaves and the tree of all `leaves`
/// (PROOF in RFC 6962 §2.1.2); empty when `old` is 0 or the whole tree.
pub fn consistency_proof(old: usize, leaves: &[Hash]) -> Vec<Hash> {
    if old == 0 || old >= leaves.len() {
        return Vec::new();
    }
    subproof(old, leaves, true)
}

fn subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole {
            Vec::new()
        } else {
            vec![root(leaves)]
        };
    }
    let k = split(n);
    if m <= k {
        let mut path = subproof(m, &leaves[..k], whole);
        path.push(root(&leaves[k..]));
        path
    } else {
        let mut path = subproof(m - k, &leaves[k..], false);
        path.push(root(&leaves[..k]));
        path
    }
}

/// Whether `proof` shows that the tree of `old` leaves with root `old_root` is a prefix of the tree of
/// `size` leaves with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > size {
        return false;
    }
    if old == size {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (old - 1, size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *old_root && sr == *new_root && snode == 0
}

pub fn to_hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(raw: &str) -> Vec<u8> {
        (0..raw.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&raw[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The Certificate Transparency reference leaves and roots (RFC 6962 test data, as used by
    /// transparency-dev/merkle and every CT implementation).
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn leaves() -> Vec<Hash> {
        LEAVES.iter().map(|l| leaf_hash(&hex(l))).collect()
    }

    #[test]
    fn roots_match_the_rfc_6962_reference_for_every_size() {
        let leaves = leaves();
        for n in 0..=8 {
            assert_eq!(to_hex(&root(&leaves[..n])), ROOTS[n], "size {n}");
        }
    }

    #[test]
    fn inclusion_proofs_match_the_reference_and_verify() {
        let leaves = leaves();
        let proof = inclusion_proof(0, &leaves);
        let expected = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        assert_eq!(proof.iter().map(to_hex).collect::<Vec<_>>(), expected);
        let proof5 = inclusion_proof(5, &leaves);
        assert_eq!(
            to_hex(&proof5[0]),
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
        );
        for size in 1..=8 {
            let r = root(&leaves[..size]);
            for i in 0..size {
                let p = inclusion_proof(i, &leaves[..size]);
                assert!(
                    verify_inclusion(i as u64, size as u64, &leaves[i], &p, &r),
                    "{i} in {size}"
                );
                let other = leaf_hash(b"not in the tree");
                assert!(!verify_inclusion(i as u64, size as u64, &other, &p, &r));
            }
        }
    }

    #[test]
    fn consistency_proofs_match_the_reference_and_verify() {
        let leaves = leaves();
        // RFC 6962 reference: from 1 to 8, 6 to 8 and 2 to 5 leaves.
        let hexes = |p: Vec<Hash>| p.iter().map(to_hex).collect::<Vec<_>>();
        assert_eq!(
            hexes(consistency_proof(1, &leaves)),
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        assert_eq!(
            hexes(consistency_proof(6, &leaves)),
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        );
        assert_eq!(
            hexes(consistency_proof(2, &leaves[..5])),
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        );
        for size in 1..=8usize {
            let new_root = root(&leaves[..size]);
            for old in 0..=size {
                let old_root = root(&leaves[..old]);
                let proof = consistency_proof(old, &leaves[..size]);
                assert!(
                    verify_consistency(old as u64, size as u64, &old_root, &new_root, &proof),
                    "{old} to {size}"
                );
                if old > 0 && old < size {
                    let forged = leaf_hash(b"a different history");
                    assert!(
                        !verify_consistency(old as u64, size as u64, &forged, &new_root, &proof),
                        "a forged old root from {old} to {size}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_compact_range_folds_to_the_same_root() {
        let many: Vec<Hash> = (0..37u8).map(|i| leaf_hash(&[i])).collect();
        // 37 = 32 + 4 + 1
        let subtrees = [root(&many[..32]), root(&many[32..36]), root(&many[36..])];
        assert_eq!(fold(&subtrees), root(&many));
        assert_eq!(fold(&[]), empty_root());
    }
}
