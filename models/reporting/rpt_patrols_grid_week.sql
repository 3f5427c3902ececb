{#- Every grid of every unit in every week, with zeros, so a heatmap shows the gaps. -#}
with weeks as (

    select period_start as week_start, period_end as week_end
    from {{ ref('dim_periods') }}
    where period = 'week'

),

grids as (

    select * from {{ ref('dim_grids') }}

),

grid_weeks as (

    select
        grids.unit_code,
        grids.grid_code,
        grids.grid_name,
        weeks.week_start,
        weeks.week_end
    from grids
    cross join weeks

),

patrol_counts as (

    select
        grid_weeks.unit_code,
        grid_weeks.grid_code,
        grid_weeks.grid_name,
        grid_weeks.week_start,
        grid_weeks.week_end,
        count(patrols.patrol_id) as patrols,
        cast(coalesce(sum(patrols.patrol_hours), 0) as double) as patrol_hours
    from grid_weeks
    left join {{ ref('fct_patrols') }} as patrols
        on patrols.unit_code = grid_weeks.unit_code
        and patrols.grid_code = grid_weeks.grid_code
        and patrols.patrol_date >= grid_weeks.week_start
        and patrols.patrol_date <= grid_weeks.week_end
    group by
        grid_weeks.unit_code,
        grid_weeks.grid_code,
        grid_weeks.grid_name,
        grid_weeks.week_start,
        grid_weeks.week_end

)

select * from patrol_counts
