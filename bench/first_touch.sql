-- The seed policy's first-touch rule alone, in SQL, as the yardstick for `slalang evaluate`
-- (bench/bench_engine.py). A clock starts at a lead's first `mql_marked` or `demo_request`
-- event (the MQL entry, simplified), stops at the first sales touch after it, and is due 4
-- business hours later on the office calendar: `calendar` holds the office's open intervals
-- (Mon-Fri 08:00-17:00 America/Chicago less holidays) as epoch seconds with the business
-- seconds before each, so "4 business hours after t" is two ASOF joins. Monthly counts of
-- met / late / missed. Reads the view `raw_events` (the CSV, all text, or the Parquet files)
-- and the table `calendar`, both made by the bench.
WITH ev AS (
    SELECT lead_id, epoch(CAST("timestamp" AS TIMESTAMPTZ))::BIGINT AS ts, event
    FROM raw_events
),
starts AS (
    SELECT lead_id, min(ts) AS started
    FROM ev WHERE event IN ('mql_marked', 'demo_request') GROUP BY lead_id
),
stops AS (
    SELECT s.lead_id, s.started, min(e.ts) AS stopped
    FROM starts s LEFT JOIN ev e
      ON e.lead_id = s.lead_id AND e.ts >= s.started
     AND e.event IN ('sales_touch', 'sales_accepted', 'sales_rejected')
    GROUP BY s.lead_id, s.started
),
at_start AS (   -- business seconds from the calendar's start to each clock's start
    SELECT st.*, c.before + least(greatest(st.started - c.open_at, 0), c.close_at - c.open_at)
               AS start_business
    FROM stops st ASOF JOIN calendar c ON st.started >= c.open_at
),
due AS (        -- the instant 4 business hours of the calendar later
    SELECT a.*, c.open_at + (a.start_business + 4 * 3600 - c.before) AS due_at
    FROM at_start a ASOF JOIN calendar c ON a.start_business + 4 * 3600 > c.before
)
SELECT strftime(to_timestamp(started), '%Y-%m') AS month,
       count(*) FILTER (WHERE stopped IS NOT NULL AND stopped <= due_at) AS met,
       count(*) FILTER (WHERE stopped IS NOT NULL AND stopped > due_at) AS late,
       count(*) FILTER (WHERE stopped IS NULL) AS open
FROM due GROUP BY ALL ORDER BY month;
