//! Changes to subsidiaries: made inactive (or active again), or deleted. Both let a test show
//! what an integration scoped to a subsidiary meets when that subsidiary goes away.

use rusqlite::params;

use super::{Ctx, R};
use crate::load::tf;
use crate::MutationError;

impl Ctx<'_> {
    pub(super) fn set_subsidiary_inactive(&self, id: i64, inactive: bool) -> R<i64> {
        if !self.opts.one_world {
            return Err(MutationError::FeatureDisabled("OneWorld"));
        }
        let changed = self.tx.execute(
            "UPDATE subsidiary SET isinactive = ?2, lastmodifieddate = ?3 WHERE id = ?1",
            params![id, tf(inactive), self.now],
        )?;
        if changed == 0 {
            return Err(MutationError::NotFound);
        }
        Ok(id)
    }

    /// Strict mode refuses a subsidiary that anything still points at (child subsidiaries,
    /// customers, projects, customer links), as for any record with dependents; raw mode deletes
    /// it anyway and leaves those references dangling. Not logged in `deletedrecord`, which the
    /// emulator keeps for customers and projects only.
    pub(super) fn delete_subsidiary(&self, id: i64) -> R<i64> {
        if !self.opts.one_world {
            return Err(MutationError::FeatureDisabled("OneWorld"));
        }
        if self.strict {
            let dependents: i64 = self.tx.query_row(
                "SELECT (SELECT COUNT(*) FROM subsidiary WHERE parent = ?1)
                      + (SELECT COUNT(*) FROM customer WHERE subsidiary = ?1)
                      + (SELECT COUNT(*) FROM job WHERE subsidiary = ?1)
                      + (SELECT COUNT(*) FROM customersubsidiaryrelationship WHERE subsidiary = ?1)",
                [id],
                |r| r.get(0),
            )?;
            if dependents > 0 {
                return Err(MutationError::HasDependents);
            }
        }
        if self
            .tx
            .execute("DELETE FROM subsidiary WHERE id = ?1", [id])?
            == 0
        {
            return Err(MutationError::NotFound);
        }
        Ok(id)
    }
}
