with units as (

    select * from {{ ref('units') }}

),

grid_counts as (

    select
        unit_code,
        count(*) as grid_count
    from {{ ref('grids') }}
    group by unit_code

),

final as (

    select
        units.unit_code,
        units.unit_name,
        units.short_name,
        units.unit_type,
        units.population,
        units.population_kind,
        units.population_year,
        units.population_note,
        units.area_km2,
        units.pilot_start,
        coalesce(grid_counts.grid_count, 0) as grid_count
    from units
    left join grid_counts
        on grid_counts.unit_code = units.unit_code

)

select * from final
