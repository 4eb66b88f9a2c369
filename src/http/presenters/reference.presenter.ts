import type { TFieldOffice, TQueue } from '../../contracts/reference.js';
import type { FieldOfficeRow, QueueRow } from '../../services/reference-data.service.js';

export const presentFieldOffice = (row: FieldOfficeRow): TFieldOffice => ({
  code: row.code,
  name: row.name,
  city: row.city,
  state: row.state,
  address: row.address,
});

export const presentQueue = (row: QueueRow): TQueue => ({
  id: row.id,
  name: row.name,
  description: row.description,
  channel: row.channel,
  targetExpression: row.target_expression,
  ordering: row.ordering,
  serviceLevel: { seconds: row.service_level_seconds, targetPercent: row.service_level_target_percent },
  maxWaitSeconds: row.max_wait_seconds,
});
