-- Nearest spellings within one blocking key straight from an index: a GiST
-- index over (key, folded name) answers "the 200 closest names filed under
-- this key" without reading the key's whole block, however common the name.
-- (btree_gist gives GiST the equality on key; pg_trgm the distance on names.)
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX person_keys_knn ON person_keys USING gist (key, search_name gist_trgm_ops);
