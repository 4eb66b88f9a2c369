-- Candidate retrieval that does not read person rows: one narrow row per
-- blocking key of each person, with the folded name alongside, so that the
-- name search finds and ranks a common name's block by an index-only scan and
-- reads only the few persons it keeps. (At 1,000,000 persons the heap reads of
-- a common name's block were most of a search's time.) A trigger keeps the
-- table in step with persons.match_keys and persons.search_name.
CREATE TABLE person_keys (
  key text NOT NULL,
  person_id uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
  search_name text NOT NULL
);
CREATE UNIQUE INDEX person_keys_key ON person_keys (key, person_id) INCLUDE (search_name);
CREATE INDEX person_keys_person ON person_keys (person_id);

CREATE FUNCTION persons_sync_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.match_keys IS NOT DISTINCT FROM OLD.match_keys AND NEW.search_name IS NOT DISTINCT FROM OLD.search_name THEN
      RETURN NULL;
    END IF;
    DELETE FROM person_keys WHERE person_id = NEW.id;
  END IF;
  INSERT INTO person_keys (key, person_id, search_name)
    SELECT DISTINCT k, NEW.id, NEW.search_name FROM unnest(NEW.match_keys) AS k;
  RETURN NULL;
END $$;

CREATE TRIGGER persons_keys AFTER INSERT OR UPDATE OF match_keys, search_name ON persons
  FOR EACH ROW EXECUTE FUNCTION persons_sync_keys();

INSERT INTO person_keys (key, person_id, search_name)
  SELECT DISTINCT k, p.id, p.search_name FROM persons p, unnest(p.match_keys) AS k;
