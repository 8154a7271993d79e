//! Name resolution: which table (or derived table) a column reference points at, with
//! correlated sub-queries seeing the enclosing queries' tables.

use crate::schema::Kind;
use crate::SuiteQlError;

/// One table in a FROM clause, as the query may refer to it.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Lower-case alias (the table name when there is none).
    pub alias: String,
    /// Lower-case table name (or the alias for derived tables), for NetSuite's error text.
    pub table: String,
    pub columns: Vec<(String, Kind)>,
}

/// The tables of one SELECT.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    pub sources: Vec<Source>,
}

/// All frames from the outermost query to the current one.
#[derive(Debug, Default)]
pub(crate) struct Scopes {
    pub frames: Vec<Frame>,
}

pub(crate) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

impl Scopes {
    fn available(&self) -> String {
        let frame = self
            .frames
            .last()
            .map(|f| f.sources.as_slice())
            .unwrap_or_default();
        frame
            .iter()
            .map(|s| format!("{}={}", s.alias, s.table))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn unknown(&self, written: &[String]) -> SuiteQlError {
        SuiteQlError::UnknownIdentifier {
            name: written.join("."),
            available: self.available(),
        }
    }

    /// Resolves `col` or `alias.col` to SQL and its kind.
    pub fn column(&self, parts: &[String]) -> Result<(String, Kind), SuiteQlError> {
        match parts {
            [name] => self.bare(name, parts),
            [qual, name] => {
                let (qual_lc, name_lc) = (qual.to_lowercase(), name.to_lowercase());
                for frame in self.frames.iter().rev() {
                    if let Some(src) = frame.sources.iter().find(|s| s.alias == qual_lc) {
                        let (col, kind) = src
                            .columns
                            .iter()
                            .find(|(c, _)| *c == name_lc)
                            .ok_or_else(|| self.unknown(parts))?;
                        return Ok((format!("{}.{}", quote(&src.alias), quote(col)), *kind));
                    }
                }
                Err(self.unknown(parts))
            }
            _ => Err(self.unknown(parts)),
        }
    }

    fn bare(&self, name: &str, parts: &[String]) -> Result<(String, Kind), SuiteQlError> {
        let lc = name.to_lowercase();
        for frame in self.frames.iter().rev() {
            let mut hits = frame.sources.iter().filter_map(|s| {
                s.columns
                    .iter()
                    .find(|(c, _)| *c == lc)
                    .map(|(c, k)| (s, c, *k))
            });
            if let Some((src, col, kind)) = hits.next() {
                if hits.next().is_some() {
                    return Err(SuiteQlError::invalid(format!(
                        "column ambiguously defined: {name}"
                    )));
                }
                return Ok((format!("{}.{}", quote(&src.alias), quote(col)), kind));
            }
        }
        Err(self.unknown(parts))
    }

    /// The columns `*` or `alias.*` stands for: (SQL, output name, kind).
    pub fn wildcard(
        &self,
        qualifier: Option<&str>,
    ) -> Result<Vec<(String, String, Kind)>, SuiteQlError> {
        let frame = self
            .frames
            .last()
            .ok_or_else(|| SuiteQlError::invalid("no FROM"))?;
        let wanted = qualifier.map(str::to_lowercase);
        let sources: Vec<&Source> = frame
            .sources
            .iter()
            .filter(|s| wanted.as_ref().is_none_or(|w| *w == s.alias))
            .collect();
        if sources.is_empty() {
            let written = qualifier.unwrap_or("*").to_owned();
            return Err(self.unknown(&[written]));
        }
        Ok(sources
            .iter()
            .flat_map(|s| {
                s.columns
                    .iter()
                    .map(|(c, k)| (format!("{}.{}", quote(&s.alias), quote(c)), c.clone(), *k))
            })
            .collect())
    }
}
