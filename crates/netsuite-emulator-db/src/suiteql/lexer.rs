//! SuiteQL tokens. Oracle-flavoured: `'` strings with `''` escapes, `"` quoted identifiers,
//! `--` and `/* */` comments, `?` placeholders, `||` concatenation. No `[ ]`, no `;`.

use crate::SuiteQlError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A bare word (keyword or identifier), as written.
    Word(String),
    /// A `"quoted"` identifier.
    Quoted(String),
    Number(String),
    Str(String),
    Param,
    /// Punctuation and operators.
    Sym(&'static str),
}

const SYMS: &[&str] = &[
    "||", "<=", ">=", "<>", "!=", "^=", "(", ")", ",", ".", "*", "+", "-", "/", "=", "<", ">",
];

pub(crate) fn lex(src: &str) -> Result<Vec<Tok>, SuiteQlError> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if let Some(after) = rest.strip_prefix("--") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            let end = after
                .find("*/")
                .ok_or_else(|| SuiteQlError::invalid("unterminated comment"))?;
            rest = &after[end + 2..];
        } else if c == '\'' {
            let (text, after) = quoted(&rest[1..], '\'')?;
            out.push(Tok::Str(text));
            rest = after;
        } else if c == '"' {
            let (text, after) = quoted(&rest[1..], '"')?;
            if text.is_empty() {
                return Err(SuiteQlError::invalid("empty quoted identifier"));
            }
            out.push(Tok::Quoted(text));
            rest = after;
        } else if c == '?' {
            out.push(Tok::Param);
            rest = &rest[1..];
        } else if c.is_ascii_digit()
            || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let len = number_len(rest);
            out.push(Tok::Number(rest[..len].to_owned()));
            rest = &rest[len..];
        } else if c.is_alphabetic() || c == '_' {
            let len = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$' || ch == '#'))
                .unwrap_or(rest.len());
            out.push(Tok::Word(rest[..len].to_owned()));
            rest = &rest[len..];
        } else if let Some(sym) = SYMS.iter().find(|s| rest.starts_with(**s)) {
            out.push(Tok::Sym(sym));
            rest = &rest[sym.len()..];
        } else {
            return Err(SuiteQlError::invalid(format!("unexpected character {c:?}")));
        }
    }
    Ok(out)
}

/// Reads up to the closing quote; a doubled quote stands for one.
fn quoted(s: &str, q: char) -> Result<(String, &str), SuiteQlError> {
    let mut text = String::new();
    let mut rest = s;
    loop {
        let i = rest
            .find(q)
            .ok_or_else(|| SuiteQlError::invalid("unterminated quote"))?;
        text.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if rest.starts_with(q) {
            text.push(q);
            rest = &rest[1..];
        } else {
            return Ok((text, rest));
        }
    }
}

fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
    };
    digits(&mut i);
    if i < b.len() && b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits(&mut i);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = j;
            digits(&mut i);
        }
    }
    i
}
