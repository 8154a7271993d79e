//! NetSuite client: authentication, SuiteQL paging, decoding, governance. Knows nothing about options or the database.
