with weeks as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}
    where period = 'week'

),

weekly_patrols as (

    select
        patrols.unit_code,
        patrols.grid_code,
        patrols.period_start as week_start,
        count(patrols.patrol_id) as patrols,
        sum(patrols.patrol_hours) as patrol_hours
    from (
        {{ pilot_facts_in_periods('weeks', ref('fct_patrols'), 'patrol_date') }}
    ) as patrols
    where patrols.grid_code is not null
    group by
        patrols.unit_code,
        patrols.grid_code,
        patrols.period_start

)

select * from weekly_patrols
