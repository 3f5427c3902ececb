-- depends_on: {{ ref('int_build_scope') }}
with weeks as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}
    where period = 'week'

),

patrols as (

    {#- Built by unit (pilot_incremental_by_unit.sql), each pilot unit of its own patrols: an
        incremental run recomputes the units int_build_scope names. -#}
    select * from {{ ref('fct_patrols') }}
    {%- if is_incremental() %}
    where unit_code in {{ pilot_rebuild_units() }}
    {%- endif %}

),

weekly_patrols as (

    select
        patrols.unit_code,
        patrols.grid_code,
        patrols.period_start as week_start,
        count(patrols.patrol_id) as patrols,
        sum(patrols.patrol_hours) as patrol_hours
    from (
        {{ pilot_facts_in_periods('weeks', 'patrols', 'patrol_date') }}
    ) as patrols
    where patrols.grid_code is not null
    group by
        patrols.unit_code,
        patrols.grid_code,
        patrols.period_start

)

select * from weekly_patrols
