{% macro pilot_unit_metrics(periods, output_totals=none, members=none) -%}
    {#- Every metric of ledgers.md section 7, per unit and period of `periods`
        (a relation or CTE with period, period_start, period_end). The one definition used
        by rpt_unit_metrics and by the reporting.unit_metrics_between table macro.
        `output_totals`: a relation holding pilot_output_totals over the same periods;
        computed here when none. `members`: the bridge from pilot units to the reporting
        units to compute (pilot_members_to_build() in an incremental run of rpt_unit_metrics);
        dim_unit_members, every reporting unit, when none. -#}
    {%- set output_types = pilot_output_types() -%}
    {%- set members_relation = members if members is not none else pilot_ref('dim_unit_members') -%}
    with unit_periods as (

        {{ pilot_unit_periods(periods, members) }}

    ),

    cases_by_day as (

        {#- Metrics are counted from fewer rows than cases: the additive ones per reporting unit
            and day found, closures per reporting unit, day found and day closed. Only these
            meet the periods, so the work and memory grow with unit-days, not with cases times
            periods; the pilot total meets them as one row per day. Facts count towards
            reporting units through dim_unit_members: a unit itself and the pilot total. -#}
        select
            members.reporting_unit_code as unit_code,
            cases.found_date,
            count(case_id) as cases_found,
            count(case when is_notice then 1 end) as notices_issued,
            count(case when is_notice_complied_on_time then 1 end) as notices_complied_on_time,
            count(case when is_penalty then 1 end) as penalties,
            sum(case when is_penalty then fine_yuan end) as fines_yuan,
            count(case when is_referral then 1 end) as referrals_made,
            count(case when is_dispute then 1 end) as disputes_found,
            count(case when is_dispute_mediated then 1 end) as disputes_mediated,
            count(case when is_dispute_resolved then 1 end) as disputes_resolved,
            count(case when is_corrected_on_spot then 1 end) as corrected_on_spot
        from {{ pilot_ref('fct_cases') }} as cases
        inner join {{ members_relation }} as members
            on members.unit_code = cases.unit_code
        group by
            members.reporting_unit_code,
            cases.found_date

    ),

    closures_by_day as (

        select
            members.reporting_unit_code as unit_code,
            cases.found_date,
            cases.closed_date,
            cases.days_to_close,
            count(*) as cases_closed
        from {{ pilot_ref('fct_cases') }} as cases
        inner join {{ members_relation }} as members
            on members.unit_code = cases.unit_code
        where cases.closed_date is not null
        group by
            members.reporting_unit_code,
            cases.found_date,
            cases.closed_date,
            cases.days_to_close

    ),

    case_totals as (

        {#- A case belongs to the period it was found in. -#}
        select
            cases.period,
            cases.unit_code,
            cases.period_start,
            sum(cases.cases_found) as cases_found,
            sum(cases.notices_issued) as notices_issued,
            sum(cases.notices_complied_on_time) as notices_complied_on_time,
            sum(cases.penalties) as penalties,
            sum(cases.fines_yuan) as fines_yuan,
            sum(cases.referrals_made) as referrals_made,
            sum(cases.disputes_found) as disputes_found,
            sum(cases.disputes_mediated) as disputes_mediated,
            sum(cases.disputes_resolved) as disputes_resolved,
            sum(cases.corrected_on_spot) as corrected_on_spot
        from (
            {{ pilot_facts_in_periods(periods, 'cases_by_day', 'found_date') }}
        ) as cases
        group by
            cases.period,
            cases.unit_code,
            cases.period_start

    ),

    closure_days as (

        {#- Closure is judged as of period end: per unit and period, how many of the cases found
            in it were closed by its end after each number of days. -#}
        select
            closures.period,
            closures.unit_code,
            closures.period_start,
            closures.days_to_close,
            sum(closures.cases_closed) as cases_closed
        from (
            {{ pilot_facts_in_periods(periods, 'closures_by_day', 'found_date') }}
        ) as closures
        where closures.closed_date <= closures.period_end
        group by
            closures.period,
            closures.unit_code,
            closures.period_start,
            closures.days_to_close

    ),

    closure_days_running as (

        select
            period,
            unit_code,
            period_start,
            days_to_close,
            cases_closed,
            sum(cases_closed) over (
                partition by period, unit_code, period_start
                order by days_to_close
                rows between unbounded preceding and current row
            ) as cases_closed_so_far,
            sum(cases_closed) over (
                partition by period, unit_code, period_start
            ) as cases_closed_in_period
        from closure_days

    ),

    closure_totals as (

        select
            period,
            unit_code,
            period_start,
            sum(cases_closed) as cases_closed,
            {{ pilot_counted_median(
                'days_to_close', 'cases_closed_so_far', 'cases_closed_in_period'
            ) }} as median_days_to_close
        from closure_days_running
        group by
            period,
            unit_code,
            period_start

    ),

    patrols_by_day as (

        {#- Patrols likewise per unit and day; a patrol belongs to the day it started, also
            when it crossed midnight. -#}
        select
            members.reporting_unit_code as unit_code,
            patrols.patrol_date,
            count(patrols.patrol_id) as patrols,
            sum(patrols.patrol_hours) as patrol_hours,
            sum(patrols.officer_hours) as officer_hours,
            sum(patrols.issues_found) as issues_found
        from {{ pilot_ref('fct_patrols') }} as patrols
        inner join {{ members_relation }} as members
            on members.unit_code = patrols.unit_code
        group by
            members.reporting_unit_code,
            patrols.patrol_date

    ),

    grids_by_day as (

        {#- A grid is named by its unit and its code: a reporting unit's grids patrolled are the
            distinct pairs of its pilot units. -#}
        select distinct
            members.reporting_unit_code as unit_code,
            patrols.unit_code as grid_unit_code,
            patrols.grid_code,
            patrols.patrol_date
        from {{ pilot_ref('fct_patrols') }} as patrols
        inner join {{ members_relation }} as members
            on members.unit_code = patrols.unit_code
        where patrols.grid_code is not null

    ),

    unit_patrol_counts as (

        select
            patrols.period,
            patrols.unit_code,
            patrols.period_start,
            sum(patrols.patrols) as patrols,
            sum(patrols.patrol_hours) as patrol_hours,
            sum(patrols.officer_hours) as officer_hours,
            sum(patrols.issues_found) as issues_found
        from (
            {{ pilot_facts_in_periods(periods, 'patrols_by_day', 'patrol_date') }}
        ) as patrols
        group by
            patrols.period,
            patrols.unit_code,
            patrols.period_start

    ),

    unit_grid_counts as (

        select
            period,
            unit_code,
            period_start,
            count(*) as grids_patrolled
        from (
            select distinct
                grids.period,
                grids.unit_code,
                grids.period_start,
                grids.grid_unit_code,
                grids.grid_code
            from (
                {{ pilot_facts_in_periods(periods, 'grids_by_day', 'patrol_date') }}
            ) as grids
        ) as unit_grids
        group by
            period,
            unit_code,
            period_start

    ),

    patrol_totals as (

        select
            unit_patrol_counts.period,
            unit_patrol_counts.unit_code,
            unit_patrol_counts.period_start,
            unit_patrol_counts.patrols,
            unit_patrol_counts.patrol_hours,
            unit_patrol_counts.officer_hours,
            unit_patrol_counts.issues_found,
            unit_grid_counts.grids_patrolled
        from unit_patrol_counts
        left join unit_grid_counts
            on unit_grid_counts.period = unit_patrol_counts.period
            and unit_grid_counts.unit_code = unit_patrol_counts.unit_code
            and unit_grid_counts.period_start = unit_patrol_counts.period_start

    ),

    counts as (

        {#- Every unit in every period, with zeros where it had no case or patrol. -#}
        select
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.period_start,
            cast(coalesce(case_totals.cases_found, 0) as {{ dbt.type_bigint() }})
                as cases_found,
            cast(coalesce(closure_totals.cases_closed, 0) as {{ dbt.type_bigint() }})
                as cases_closed,
            closure_totals.median_days_to_close,
            cast(coalesce(case_totals.notices_issued, 0) as {{ dbt.type_bigint() }})
                as notices_issued,
            cast(coalesce(case_totals.notices_complied_on_time, 0) as {{ dbt.type_bigint() }})
                as notices_complied_on_time,
            cast(coalesce(case_totals.penalties, 0) as {{ dbt.type_bigint() }}) as penalties,
            coalesce(case_totals.fines_yuan, 0) as fines_yuan,
            cast(coalesce(case_totals.referrals_made, 0) as {{ dbt.type_bigint() }})
                as referrals_made,
            cast(coalesce(case_totals.disputes_found, 0) as {{ dbt.type_bigint() }})
                as disputes_found,
            cast(coalesce(case_totals.disputes_mediated, 0) as {{ dbt.type_bigint() }})
                as disputes_mediated,
            cast(coalesce(case_totals.disputes_resolved, 0) as {{ dbt.type_bigint() }})
                as disputes_resolved,
            cast(coalesce(case_totals.corrected_on_spot, 0) as {{ dbt.type_bigint() }})
                as corrected_on_spot,
            cast(coalesce(patrol_totals.patrols, 0) as {{ dbt.type_bigint() }}) as patrols,
            coalesce(patrol_totals.patrol_hours, 0) as patrol_hours,
            coalesce(patrol_totals.officer_hours, 0) as officer_hours,
            coalesce(patrol_totals.issues_found, 0) as issues_found,
            coalesce(patrol_totals.grids_patrolled, 0) as grids_patrolled
        from unit_periods
        left join case_totals
            on case_totals.period = unit_periods.period
            and case_totals.unit_code = unit_periods.unit_code
            and case_totals.period_start = unit_periods.period_start
        left join closure_totals
            on closure_totals.period = unit_periods.period
            and closure_totals.unit_code = unit_periods.unit_code
            and closure_totals.period_start = unit_periods.period_start
        left join patrol_totals
            on patrol_totals.period = unit_periods.period
            and patrol_totals.unit_code = unit_periods.unit_code
            and patrol_totals.period_start = unit_periods.period_start

    ),

    output_totals as (

        {#- Only unit-periods where something was made; the others get zeros below. -#}
        {% call pilot_stored_or(output_totals) -%}
        {{ pilot_output_totals(periods, members) }}
        {%- endcall %}

    ),

    output_columns as (

        select
            period,
            unit_code,
            period_start,
            {%- for output_type in output_types %}
            cast(
                coalesce(max(case when output_code = '{{ output_type.code }}' then quantity end), 0)
                as double
            ) as {{ adapter.quote(output_type.column) }},
            {%- endfor %}
            count(case when is_approximate then 1 end) > 0 as outputs_approximate
        from output_totals
        {%- if members is not none %}
        where unit_code in (select reporting_unit_code from {{ members }})
        {%- endif %}
        group by
            period,
            unit_code,
            period_start

    ),

    metrics as (

        select
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.unit_name,
            unit_periods.period_start,
            unit_periods.period_end,
            unit_periods.population,
            counts.cases_found,
            counts.cases_closed,
            cast(counts.cases_closed as double)
                / nullif(counts.cases_found, 0) as closure_rate,
            cast(counts.median_days_to_close as double) as median_days_to_close,
            counts.notices_issued,
            counts.notices_complied_on_time,
            counts.penalties,
            cast(counts.fines_yuan as double) as fines_yuan,
            counts.referrals_made,
            counts.disputes_found,
            counts.disputes_mediated,
            counts.disputes_resolved,
            counts.corrected_on_spot,
            counts.patrols,
            cast(counts.patrol_hours as double) as patrol_hours,
            cast(counts.officer_hours as double) as officer_hours,
            cast(counts.issues_found as {{ dbt.type_bigint() }}) as issues_found,
            cast(counts.grids_patrolled as double)
                / nullif(unit_periods.grid_count, 0) as grid_coverage,
            {%- for output_type in output_types %}
            coalesce(output_columns.{{ adapter.quote(output_type.column) }}, 0)
                as {{ adapter.quote(output_type.column) }},
            {%- endfor %}
            {%- for metric in pilot_count_metrics() %}
            {{ pilot_per_10k(metric, 'unit_periods.population') }} as {{ metric }}_per_10k,
            {%- endfor %}
            {%- for output_type in output_types %}
            {{ pilot_per_10k(
                'coalesce(output_columns.' ~ adapter.quote(output_type.column) ~ ', 0)',
                'unit_periods.population',
            ) }} as {{ adapter.quote(output_type.column ~ '_per_10k') }},
            {%- endfor %}
            coalesce(output_columns.outputs_approximate, false) as outputs_approximate
        from unit_periods
        inner join counts
            on counts.period = unit_periods.period
            and counts.unit_code = unit_periods.unit_code
            and counts.period_start = unit_periods.period_start
        left join output_columns
            on output_columns.period = unit_periods.period
            and output_columns.unit_code = unit_periods.unit_code
            and output_columns.period_start = unit_periods.period_start

    )

    select * from metrics
{%- endmacro %}
