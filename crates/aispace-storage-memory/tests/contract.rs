//! The memory store passes the same storage contract as every adapter.

aispace_testkit::storage_contract!(aispace_storage_memory::MemoryStore::new());
