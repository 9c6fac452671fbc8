/// Migration 8: overage rate models beside the per-unit price (docs/plans.md "Overage rates",
/// "Tables"). Rows written before it read as `per_unit`. Shipped statements are never edited.
enum PlanRateSQL {
    static let version8: [String] = [
        // overage_price stays non-NULL exactly when overage is billed: per_unit its price,
        // package the price of one package, tiered and volume the first tier's unit price (what
        // older readers and SQL users see; meterd checks it against the tiers).
        """
        ALTER TABLE \(RollupTable.schema).plan_metrics
            ADD COLUMN rate_model text NOT NULL DEFAULT 'per_unit'
                CHECK (rate_model IN ('per_unit', 'tiered', 'volume', 'package')),
            ADD COLUMN package_size numeric
                CHECK (package_size > 0 AND package_size = round(package_size, 6)),
            ADD CONSTRAINT plan_metrics_package_size CHECK ((rate_model = 'package') = (package_size IS NOT NULL)),
            ADD CONSTRAINT plan_metrics_rate_priced CHECK (rate_model = 'per_unit' OR overage_price IS NOT NULL)
        """,
        // The tiers of a tiered or volume rate, in order from tier_index 0; up_to counts overage
        // units (inclusive), NULL only on the last tier.
        """
        CREATE TABLE \(RollupTable.schema).plan_metric_tiers (
            plan_id    text    NOT NULL,
            metric     text    NOT NULL,
            tier_index integer NOT NULL CHECK (tier_index >= 0),
            up_to      numeric CHECK (up_to > 0 AND up_to = round(up_to, 6)),
            unit_price numeric NOT NULL CHECK (unit_price >= 0 AND unit_price = round(unit_price, 6)),
            PRIMARY KEY (plan_id, metric, tier_index),
            FOREIGN KEY (plan_id, metric) REFERENCES \(RollupTable.schema).plan_metrics ON DELETE CASCADE
        )
        """,
    ]
}
