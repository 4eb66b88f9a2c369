-- Helping on live calls (issue #19): supervisors listen, whisper and barge from their own phones; every time is
-- audited (who, which call, which mode, when).
INSERT INTO permissions (name, description) VALUES
  ('call:supervise', 'See the connected calls and listen to, whisper on or join one from one''s own phone (audited)');
INSERT INTO role_permissions (role, permission) VALUES ('supervisor', 'call:supervise');
