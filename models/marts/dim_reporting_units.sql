{#- The units reports are made for: each pilot unit, and the pilot as a whole. -#}
with units as (

    select * from {{ ref('dim_units') }}

),

pilot_total as (

    select
        '{{ var("all_units_code") }}' as unit_code,
        '{{ var("all_units_name") }}' as unit_name,
        sum(population) as population,
        sum(grid_count) as grid_count,
        true as is_pilot_total
    from units

),

each_unit as (

    select
        unit_code,
        unit_name,
        population,
        grid_count,
        false as is_pilot_total
    from units

),

final as (

    select * from each_unit
    union all
    select * from pilot_total

)

select * from final
