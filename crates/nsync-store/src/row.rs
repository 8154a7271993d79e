//! Reading columns the same way from either backend's rows.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::StoreError;

/// Typed column access shared by both backends, so row decoding is written once.
pub(crate) trait Cols {
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn flag(&self, col: &str) -> Result<bool, StoreError>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError>;
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

macro_rules! impl_cols {
    ($row:ty) => {
        impl Cols for $row {
            fn int(&self, col: &str) -> Result<i64, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn text(&self, col: &str) -> Result<String, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn flag(&self, col: &str) -> Result<bool, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
                Ok(self.try_get(col)?)
            }
        }
    };
}

impl_cols!(SqliteRow);
impl_cols!(PgRow);

/// Parses a positive id column into its newtype.
pub(crate) fn id<T: TryFrom<i64, Error = nsync_core::Error>>(
    row: &impl Cols,
    col: &str,
) -> Result<T, StoreError> {
    T::try_from(row.int(col)?).map_err(StoreError::corrupt)
}

/// Parses a nullable positive id column into its newtype.
pub(crate) fn opt_id<T: TryFrom<i64, Error = nsync_core::Error>>(
    row: &impl Cols,
    col: &str,
) -> Result<Option<T>, StoreError> {
    row.opt_int(col)?
        .map(T::try_from)
        .transpose()
        .map_err(StoreError::corrupt)
}
