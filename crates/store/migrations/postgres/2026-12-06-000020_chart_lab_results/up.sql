-- A chart page reads its patient's newest final lab results, 200 at most. Results are
-- written as care happens, a few for each of many patients at a time, so a chart's rows lie a
-- heap page apart: a page each, for one page view. This index holds everything that read
-- needs (all but an entered-in-error result's reason), in the order it wants, so the read is
-- an index-only scan over a few pages. It serves the filtered lists' order too, and replaces
-- the index that did. An entry must fit 2,704 bytes: the text value (300 characters), test
-- name (200) and unit (40) do, even at four bytes a character. In one block, as in 000010:
-- Citus sends some statements to the workers as the text of the whole migration.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    CREATE INDEX lab_results_chart ON lab_results (patient_id, collected_at DESC, id DESC)
        INCLUDE (status, code, test_name, value_num, value_text, unit, ref_low, ref_high,
                 interpretation, source, recorded_by, recorded_at);
    DROP INDEX lab_results_newest;
END
$$;
