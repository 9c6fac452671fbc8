import Logging
import MeterCore
import MeterIngest
import Testing
@testable import MeterConfig

@Suite struct ReloadPlanTests {
    @Test func everyKeyIsEitherReloadableOrNamedAsNeedingARestart() {
        #expect(ReloadPlan.fields.map(\.key).sorted() == Setting.all.map(\.key).sorted())
        #expect(ReloadPlan.reloadableKeys.isSubset(of: Set(Setting.all.map(\.key))))
    }

    @Test func reloadableKeysTakeTheirNewValuesAndTheRestKeepTheirs() {
        let current = DaemonSettings()
        var loaded = current
        loaded.logLevel = .debug
        loaded.flushInterval = .seconds(2)
        loaded.engine.aggregatorLimits.maxSeriesPerTenant = 7
        loaded.engine.aggregatorLimits.maxSeries = 70
        loaded.engine.aggregatorLimits.maxValuesPerDimension = 3
        loaded.tcp.port = 9999
        loaded.engine.shardCount = 2
        loaded.engine.protocolLimits.maxLineBytes = 512

        let plan = ReloadPlan(current: current, loaded: loaded)
        #expect(plan.applied == ["flush_interval", "log_level", "limits.max_series_per_tenant", "limits.max_series",
                                 "limits.max_values_per_dimension"])
        #expect(plan.needRestart == ["tcp", "protocol.max_line_bytes", "ring.shards"])
        #expect(plan.settings.logLevel == .debug)
        #expect(plan.settings.flushInterval == .seconds(2))
        #expect(plan.settings.engine.aggregatorLimits.maxSeriesPerTenant == 7)
        #expect(plan.settings.engine.aggregatorLimits.maxSeries == 70)
        #expect(plan.settings.engine.aggregatorLimits.maxValuesPerDimension == 3)
        #expect(plan.settings.tcp == current.tcp)
        #expect(plan.settings.engine.shardCount == current.engine.shardCount)
        #expect(plan.settings.engine.protocolLimits == current.engine.protocolLimits)
    }

    @Test func unchangedSettingsChangeNothing() {
        let plan = ReloadPlan(current: DaemonSettings(), loaded: DaemonSettings())
        #expect(plan.changedNothing)
        #expect(plan.settings == DaemonSettings())
    }

    @Test func aRestartOnlyChangeAppliesNothing() {
        var loaded = DaemonSettings()
        loaded.postgresURL = "postgresql://elsewhere/meterd"
        let plan = ReloadPlan(current: DaemonSettings(), loaded: loaded)
        #expect(plan.applied.isEmpty)
        #expect(plan.needRestart == ["postgres"])
        #expect(plan.settings.postgresURL == nil)
    }
}
