{#- What this build recomputes of the aggregates built by unit (macros/pilot_incremental_by_unit.sql).

    The table keeps, beside its answer, what it was worked out from, so that the next build can
    compare: which pilot unit's facts come from which files ('fact_file' rows) and the reporting
    periods ('period' rows). The answer is the 'rebuild_unit' rows: every reporting unit when
    the periods changed (a new last date moves every unit's 'all' period and may add periods),
    on a first build or a full refresh; else the reporting units that count a pilot unit whose
    files changed since the last build (a file loaded, superseded or withdrawn). A clerk's file
    is one unit's, so a new file rebuilds that unit and the pilot total, not 2,000 units.

    `pilot build` runs the next build whole after any build that did not pass, so this table
    and the aggregates never drift apart. -#}
{%- set previous = load_relation(this) %}
-- depends_on: {{ ref('dim_unit_members') }}

with fact_files as (

    select distinct unit_code, file_id from {{ ref('fct_cases') }}
    union
    select distinct unit_code, file_id from {{ ref('fct_patrols') }}
    union
    select distinct unit_code, file_id from {{ ref('fct_outputs') }}

),

periods as (

    select period, period_start, period_end from {{ ref('dim_periods') }}

),

{% if previous is none or flags.FULL_REFRESH %}
rebuild_units as (

    select unit_code from {{ ref('dim_reporting_units') }}

),
{% else %}
changed_files as (

    (
        select unit_code, file_id from fact_files
        except
        select unit_code, file_id from {{ previous }} where entry = 'fact_file'
    )
    union
    (
        select unit_code, file_id from {{ previous }} where entry = 'fact_file'
        except
        select unit_code, file_id from fact_files
    )

),

changed_periods as (

    (
        select period, period_start, period_end from periods
        except
        select period, period_start, period_end from {{ previous }} where entry = 'period'
    )
    union
    (
        select period, period_start, period_end from {{ previous }} where entry = 'period'
        except
        select period, period_start, period_end from periods
    )

),

rebuild_units as (

    select units.unit_code
    from {{ ref('dim_reporting_units') }} as units
    where exists (select 1 from changed_periods)
    union
    select members.reporting_unit_code as unit_code
    from {{ ref('dim_unit_members') }} as members
    where members.unit_code in (select unit_code from changed_files)

),
{% endif %}
final as (

    select
        'fact_file' as entry,
        unit_code,
        file_id,
        cast(null as varchar) as period,
        cast(null as date) as period_start,
        cast(null as date) as period_end
    from fact_files
    union all
    select
        'period' as entry,
        cast(null as varchar) as unit_code,
        cast(null as varchar) as file_id,
        period,
        period_start,
        period_end
    from periods
    union all
    select
        'rebuild_unit' as entry,
        unit_code,
        cast(null as varchar) as file_id,
        cast(null as varchar) as period,
        cast(null as date) as period_start,
        cast(null as date) as period_end
    from rebuild_units

)

select * from final
