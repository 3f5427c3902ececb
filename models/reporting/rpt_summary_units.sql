with reporting_units as (

    select * from {{ ref('dim_reporting_units') }}

),

final as (

    select
        unit_code,
        unit_name,
        population,
        grid_count,
        is_pilot_total
    from reporting_units

)

select * from final
