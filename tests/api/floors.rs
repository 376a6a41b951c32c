//! The house's structure, held: the floors the README's Layout declares, no import that runs up a floor,
//! no import cycle between files (of the shared crate, and inside each component), and no source file
//! over 500 lines. Read from the sources as text: each file's `use` lines and `crate::`/`super::` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines a source file may have, counted up to its inline `#[cfg(test)] mod … {`.
const MAX_LINES: usize = 500;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The floors of the README's Layout table (`| floor | name | modules |`), lowest first: each module
/// name (a top-level module of the shared crate, or `components/*`) with its floor's number.
fn floors() -> BTreeMap<String, u32> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let layout = readme
        .split("\n## Layout")
        .nth(1)
        .expect("README.md has a Layout section");
    let mut out = BTreeMap::new();
    for line in layout.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(floor) = cells.get(1).and_then(|c| c.parse::<u32>().ok()) else {
            continue;
        };
        for module in cells.get(3).unwrap_or(&"").split(',') {
            let module = module.trim().trim_matches('`');
            if !module.is_empty() {
                out.insert(module.to_owned(), floor);
            }
        }
    }
    assert!(out.len() > 3, "the Layout table names the floors: {out:?}");
    out
}

/// One crate's source files by module path (`["store", "core"]` for `store/core.rs`).
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The code of a file without comments, string contents and its inline test module.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.ends_with('{'))
        {
            break;
        }
        let line = line.split("//").next().unwrap_or_default();
        let mut in_string = false;
        for c in line.chars() {
            if c == '"' {
                in_string = !in_string;
            } else if !in_string {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or_default().trim();
        return vec![path.trim_end_matches("::self").to_owned()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| match p.trim() {
            "self" => vec![prefix.trim_end_matches("::").to_owned()],
            p => expand(&format!("{prefix}{p}")),
        })
        .collect()
}

/// Every path a file names: its `use` trees and the `crate::`/`super::` paths in the rest of its code.
fn named_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = String::new();
    let mut text = code;
    while let Some(at) = text.find("use ") {
        let before = text[..at].chars().last();
        rest.push_str(&text[..at]);
        text = &text[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            rest.push_str("use ");
            continue;
        }
        let end = text.find(';').unwrap_or(text.len());
        out.extend(expand(&text[..end].split_whitespace().collect::<String>()));
        text = &text[end..];
    }
    rest.push_str(text);
    let words = rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'));
    out.extend(
        words
            .filter(|w| w.starts_with("crate::") || w.starts_with("super::"))
            .map(str::to_owned),
    );
    out
}

/// The file a path names from module `at`, if it is a module of this crate other than `at` itself.
fn resolve(
    path: &str,
    at: &[String],
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<Vec<String>> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut base, mut rest) = (at.to_vec(), &segments[..]);
    match rest.first()? {
        &"crate" => {
            base.clear();
            rest = &rest[1..];
        }
        &"self" => rest = &rest[1..],
        &"super" => {
            while rest.first() == Some(&"super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        first => {
            let mut child = at.to_vec();
            child.push((*first).to_owned());
            modules.get(&child)?;
        }
    }
    base.extend(rest.iter().map(|s| (*s).to_owned()));
    let target = (0..=base.len())
        .rev()
        .map(|n| base[..n].to_vec())
        .find(|m| modules.contains_key(m))?;
    (target != at).then_some(target)
}

/// One crate's import graph between files.
fn graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let modules = modules(src);
    let mut out = BTreeMap::new();
    for (at, file) in &modules {
        let code = code(&std::fs::read_to_string(file).unwrap());
        let targets: BTreeSet<PathBuf> = named_paths(&code)
            .iter()
            .filter_map(|p| resolve(p, at, &modules))
            .map(|m| modules[&m].clone())
            .collect();
        out.insert(file.clone(), targets);
    }
    out
}

/// The cycles of a graph (its strongly connected components of more than one file), each with an edge
/// that closes it.
fn cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let reaches = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(f) = stack.pop() {
            for next in graph.get(&f).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&PathBuf, BTreeSet<PathBuf>> =
        graph.keys().map(|f| (f, reaches(f))).collect();
    let mut found: BTreeSet<Vec<PathBuf>> = BTreeSet::new();
    for file in graph.keys() {
        let circle: Vec<PathBuf> = graph
            .keys()
            .filter(|other| reach[file].contains(*other) && reach[other].contains(file))
            .cloned()
            .collect();
        if circle.len() > 1 {
            found.insert(circle);
        }
    }
    found.into_iter().collect()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn crates() -> Vec<PathBuf> {
    let mut out = vec![root().join("shared/src")];
    for entry in std::fs::read_dir(root().join("components")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            out.push(src);
        }
    }
    out
}

#[test]
fn no_file_imports_another_in_a_circle() {
    let mut problems = Vec::new();
    for src in crates() {
        let graph = graph(&src);
        for circle in cycles(&graph) {
            let edges: Vec<String> = circle
                .iter()
                .flat_map(|a| {
                    graph[a]
                        .iter()
                        .filter(|b| circle.contains(b))
                        .map(move |b| format!("{} -> {}", relative(a), relative(b)))
                })
                .collect();
            problems.push(edges.join(", "));
        }
    }
    assert!(
        problems.is_empty(),
        "import cycles:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_module_of_the_shared_crate_imports_one_on_a_higher_floor() {
    let floors = floors();
    let src = root().join("shared/src");
    let floor_of = |file: &Path| -> Option<u32> {
        let top = file
            .strip_prefix(&src)
            .ok()?
            .iter()
            .next()?
            .to_string_lossy();
        let name = top.trim_end_matches(".rs");
        if name == "lib" {
            return None;
        }
        Some(*floors.get(name).unwrap_or_else(|| {
            panic!("shared/src/{top} is on no floor of the README's Layout table")
        }))
    };
    let mut problems = Vec::new();
    for (from, targets) in graph(&src) {
        let Some(low) = floor_of(&from) else { continue };
        for to in targets {
            if floor_of(&to).is_some_and(|high| high > low) {
                problems.push(format!("{} imports {}", relative(&from), relative(&to)));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "imports up a floor:\n{}",
        problems.join("\n")
    );
}

#[test]
fn inside_a_component_nothing_imports_its_route_table() {
    let mut problems = Vec::new();
    for src in crates().into_iter().skip(1) {
        let lib = src.join("lib.rs");
        for (from, targets) in graph(&src) {
            if from != lib && targets.contains(&lib) {
                problems.push(format!("{} imports {}", relative(&from), relative(&lib)));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "imports up a floor:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_source_file_is_over_500_lines() {
    let mut problems = Vec::new();
    for src in crates() {
        for file in modules(&src).values() {
            let text = std::fs::read_to_string(file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let end = lines
                .windows(2)
                .position(|w| {
                    w[0].trim() == "#[cfg(test)]"
                        && w[1].trim_start().starts_with("mod ")
                        && w[1].ends_with('{')
                })
                .unwrap_or(lines.len());
            if end > MAX_LINES {
                problems.push(format!("{}: {end} lines", relative(file)));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checks_see_a_cycle_and_an_upward_import() {
    let modules: BTreeMap<Vec<String>, PathBuf> = [
        (vec![], "lib.rs"),
        (vec!["store".to_owned()], "store/mod.rs"),
        (vec!["store".to_owned(), "core".to_owned()], "store/core.rs"),
    ]
    .into_iter()
    .map(|(m, f)| (m, PathBuf::from(f)))
    .collect();
    let at = vec!["store".to_owned(), "core".to_owned()];
    let paths = named_paths(&code(
        "use super::{Store, keys::Key};\nuse crate::records::{Log, kind::{A, B}};\n#[cfg(test)]\nmod tests {\n    use crate::store::x;\n}\n",
    ));
    assert_eq!(
        paths,
        [
            "super::Store",
            "super::keys::Key",
            "crate::records::Log",
            "crate::records::kind::A",
            "crate::records::kind::B"
        ]
    );
    assert_eq!(
        resolve("super::Store", &at, &modules),
        Some(vec!["store".to_owned()])
    );
    assert_eq!(resolve("crate::store::core::Store", &at, &modules), None);
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = [
        ("a.rs", vec!["b.rs"]),
        ("b.rs", vec!["c.rs"]),
        ("c.rs", vec!["a.rs"]),
        ("d.rs", vec!["a.rs"]),
    ]
    .into_iter()
    .map(|(f, to)| {
        (
            PathBuf::from(f),
            to.into_iter().map(PathBuf::from).collect(),
        )
    })
    .collect();
    assert_eq!(
        cycles(&graph),
        [vec![
            PathBuf::from("a.rs"),
            PathBuf::from("b.rs"),
            PathBuf::from("c.rs")
        ]]
    );
}
