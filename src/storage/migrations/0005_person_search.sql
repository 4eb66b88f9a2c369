-- Person search and duplicate candidates in the database: a folded full name
-- for trigram similarity, and the blocking keys of src/domain/matching (sound
-- of family × given names, with birth year) for candidate retrieval, both
-- indexed. The application computes both on every write of a person.
ALTER TABLE persons
  ADD COLUMN search_name text NOT NULL DEFAULT '',
  ADD COLUMN match_keys text[] NOT NULL DEFAULT '{}';

CREATE INDEX persons_search_name_trgm ON persons USING gin (search_name gin_trgm_ops);
CREATE INDEX persons_match_keys ON persons USING gin (match_keys);
DROP INDEX IF EXISTS persons_name_trgm;
