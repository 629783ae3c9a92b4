-- name: source_check_backlog
-- Sources whose link check is due. The columns come with the source checks migration: before
-- it this fails with undefined_column and the metric is left out.
SELECT count(*) FROM sources WHERE next_check_at <= now()
