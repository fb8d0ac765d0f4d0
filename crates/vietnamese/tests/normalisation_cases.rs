//! Every row and every column of the shared Vietnamese normalisation cases
//! (`tests/data/vi_norm_cases.tsv`), read by header name. All mismatching
//! cells are reported at once.

use std::collections::BTreeMap;

const CASES: &str = include_str!("data/vi_norm_cases.tsv");

/// `\u{XXXX}` (1–6 hex digits) is that code point, `\\` one backslash.
fn unescape(cell: &str) -> Result<String, String> {
    let mut out = String::with_capacity(cell.len());
    let mut rest = cell;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        if let Some(after) = escape.strip_prefix("\\\\") {
            out.push('\\');
            rest = after;
        } else if let Some(after) = escape.strip_prefix("\\u{") {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed escape in {cell:?}"))?;
            let hex = &after[..end];
            if hex.is_empty() || hex.len() > 6 {
                return Err(format!("bad escape {hex:?} in {cell:?}"));
            }
            let c = u32::from_str_radix(hex, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("bad code point {hex:?} in {cell:?}"))?;
            out.push(c);
            rest = &after[end + 1..];
        } else {
            return Err(format!("unknown escape in {cell:?}"));
        }
    }
    out.push_str(rest);
    Ok(out)
}

struct Case {
    id: String,
    group: String,
    exact: String,
    fold: String,
}

fn column(header: &[&str], name: &str) -> usize {
    header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("column {name} missing from the header {header:?}"))
}

#[test]
fn every_case_gives_the_expected_forms_and_group_invariants() {
    let mut lines = CASES.lines();
    let header: Vec<&str> = lines.next().expect("header line").split('\t').collect();
    let [id, input, canonical, exact, fold, doc_key, group] = [
        "id",
        "input",
        "canonical",
        "exact",
        "fold",
        "doc_key",
        "group",
    ]
    .map(|name| column(&header, name));

    let mut problems = Vec::new();
    let mut cases = Vec::new();
    let mut checked_cells = 0;
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() != header.len() {
            problems.push(format!("line {}: {} cells", n + 2, cells.len()));
            continue;
        }
        let cell = |i: usize| unescape(cells[i]);
        let (row_id, raw, want) = match (
            cell(id),
            cell(input),
            [canonical, exact, fold, doc_key].map(cell),
        ) {
            (Ok(row_id), Ok(raw), [Ok(c), Ok(e), Ok(f), Ok(k)]) => (row_id, raw, [c, e, f, k]),
            _ => {
                problems.push(format!("line {}: cannot unescape a cell", n + 2));
                continue;
            }
        };
        let got = [
            vietnamese::canonicalize(&raw),
            vietnamese::exact_form(&raw),
            vietnamese::fold_form(&raw),
            vietnamese::doc_number_key(&raw).unwrap_or_default(),
        ];
        for ((name, want), got) in ["canonical", "exact", "fold", "doc_key"]
            .iter()
            .zip(&want)
            .zip(&got)
        {
            checked_cells += 1;
            if want != got {
                problems.push(format!("{row_id} {name}: expected {want:?}, got {got:?}"));
            }
        }
        let forms = vietnamese::forms(&raw);
        if [&forms.canonical, &forms.exact, &forms.fold] != [&got[0], &got[1], &got[2]]
            || forms.doc_number_key().unwrap_or_default() != got[3]
        {
            problems.push(format!(
                "{row_id}: forms() differs from the single functions"
            ));
        }
        cases.push(Case {
            id: row_id,
            group: cells[group].to_owned(),
            exact: got[1].clone(),
            fold: got[2].clone(),
        });
    }

    let mut groups: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    for case in cases.iter().filter(|c| !c.group.is_empty()) {
        groups.entry(case.group.as_str()).or_default().push(case);
    }
    for (name, members) in &groups {
        let ids: Vec<&str> = members.iter().map(|c| c.id.as_str()).collect();
        let exacts: Vec<&str> = members.iter().map(|c| c.exact.as_str()).collect();
        let folds: Vec<&str> = members.iter().map(|c| c.fold.as_str()).collect();
        if members.len() < 2 {
            problems.push(format!("group {name} has one member"));
        }
        match name.split_once(':').map(|(kind, _)| kind) {
            Some("exact") => {
                if exacts.iter().any(|e| *e != exacts[0]) {
                    problems.push(format!(
                        "group {name} {ids:?}: exact forms differ {exacts:?}"
                    ));
                }
            }
            Some("fold") => {
                if folds.iter().any(|f| *f != folds[0]) {
                    problems.push(format!("group {name} {ids:?}: fold forms differ {folds:?}"));
                }
                let mut distinct = exacts.clone();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() != exacts.len() {
                    problems.push(format!(
                        "group {name} {ids:?}: exact forms not distinct {exacts:?}"
                    ));
                }
            }
            _ => problems.push(format!("group {name}: unknown kind")),
        }
    }

    assert_eq!(cases.len(), 126, "the case file has 126 rows");
    assert!(
        problems.is_empty(),
        "{} of {} cells or groups wrong ({} groups):\n{}",
        problems.len(),
        checked_cells,
        groups.len(),
        problems.join("\n")
    );
}

#[test]
fn unescape_reads_code_points_and_backslashes() {
    assert_eq!(unescape(r"a\u{00AD}b\\c").as_deref(), Ok("a\u{AD}b\\c"));
    assert_eq!(unescape(r"\u{1F600}").as_deref(), Ok("\u{1F600}"));
    assert!(unescape(r"\n").is_err());
    assert!(unescape(r"\u{}").is_err());
}
