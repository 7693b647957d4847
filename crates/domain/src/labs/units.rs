//! Units as reports write them: one spelling per unit for comparing, whatever the lab's
//! typography (`x10^9/L`, `10*9/L`, `10E9/L`, `K/uL`, `µmol/L`, `umol/l`) or a scanner's
//! confusions (`1073/uL` for `10^3/uL`, `mlU/L` for `mIU/L`).

/// A unit in the one spelling used to compare units: lower case, no spaces, `u` for micro,
/// powers of ten as `10^n`, and the usual OCR confusions repaired.
pub fn normalize_unit(raw: &str) -> String {
    let mut unit = String::new();
    for c in raw
        .trim()
        .trim_matches(|c| matches!(c, '(' | ')' | '[' | ']' | '.' | ',' | ':' | ';'))
        .chars()
        .filter(|c| !c.is_whitespace())
    {
        match c {
            'µ' | 'μ' => unit.push('u'),
            '×' => unit.push('x'),
            // A superscript power ("10³") is a caret and the digit.
            '³' | '⁹' | '⁶' | '²' | '¹' => {
                if !unit.ends_with('^') && unit.ends_with("10") {
                    unit.push('^');
                }
                unit.push(superscript_digit(c));
            }
            _ => unit.extend(c.to_lowercase()),
        }
    }
    for (from, to) in SPELLINGS {
        unit = unit.replace(from, to);
    }
    unit = unit.trim_start_matches('x').to_owned();
    power_of_ten_repaired(&unit).unwrap_or(unit)
}

/// A power of ten whose caret a scanner read as another mark or a digit ("1073/ul", "1043/ul",
/// "10%9/l", "10’3/ul") or lost ("103/ul"): what follows 10 before the slash is its exponent,
/// since no count is reported per 103 or 1073 cells.
fn power_of_ten_repaired(unit: &str) -> Option<String> {
    let rest = unit.strip_prefix("10")?;
    let (before_slash, after) = rest.split_once('/')?;
    let exponent = ["12", "3", "6", "9"]
        .into_iter()
        .find(|exponent| before_slash.ends_with(exponent))?;
    let mark = before_slash.strip_suffix(exponent)?;
    let misread_caret = matches!(
        mark,
        "" | "^" | "7" | "4" | "%" | "'" | "\"" | "’" | "‘" | "*" | "~" | "°" | "a"
    );
    misread_caret.then(|| format!("10^{exponent}/{after}"))
}

fn superscript_digit(c: char) -> char {
    match c {
        '¹' => '1',
        '²' => '2',
        '³' => '3',
        '⁶' => '6',
        _ => '9',
    }
}

/// Other spellings of one unit, replaced in order (longer before their parts).
const SPELLINGS: [(&str, &str); 17] = [
    ("mliu/", "miu/"),
    ("mcg", "ug"),
    ("10*", "10^"),
    ("10e", "10^"),
    ("^+", "^"),
    ("thou/", "10^3/"),
    ("k/ul", "10^3/ul"),
    ("k/mm3", "10^3/ul"),
    ("/mm3", "/ul"),
    ("/cumm", "/ul"),
    ("mill/", "10^6/"),
    ("m/ul", "10^6/ul"),
    ("mlu/", "miu/"),
    ("ulu/", "uiu/"),
    ("meq/l", "mmol/l"),
    ("mg/dl.", "mg/dl"),
    ("iu/l", "u/l"),
];

/// Whether two units, as written, are the same unit.
pub fn same_unit(a: &str, b: &str) -> bool {
    // Most units arrive spelled as the catalogue spells them: no need to normalize those.
    a == b || normalize_unit(a) == normalize_unit(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typography_and_scanner_confusions_read_as_one_unit() {
        for (written, meant) in [
            ("x10^3/uL", "10^3/uL"),
            ("10*3/uL", "10^3/uL"),
            ("K/uL", "10^3/uL"),
            ("1073/uL", "10^3/uL"),
            ("1043/uL", "10^3/uL"),
            ("10%9/L", "10^9/L"),
            ("10’3/uL", "10^3/uL"),
            ("103/uL", "10^3/uL"),
            ("ng/mL.", "ng/mL"),
            ("mlIU/L", "mIU/L"),
            ("10³/µL", "10^3/uL"),
            ("x10E9/L", "10^9/L"),
            ("mlU/L", "mIU/L"),
            ("µmol/L", "umol/L"),
            ("mEq/L", "mmol/L"),
            ("mcg/dL", "ug/dL"),
            (" mg / dL ", "mg/dL"),
            ("(mg/dL)", "mg/dL"),
        ] {
            assert!(same_unit(written, meant), "{written} is {meant}");
        }
        assert!(!same_unit("mg/dL", "mmol/L"));
        assert!(!same_unit("mL/min", "mIU/L"));
        assert_eq!(normalize_unit("mL/min/1.73m2"), "ml/min/1.73m2");
    }
}
