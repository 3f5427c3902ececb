{#- Which pilot units' facts count towards a reporting unit: a unit itself, and every unit
    towards the pilot total. Facts join through this bridge so totals use the same SQL. -#}
with units as (

    select unit_code from {{ ref('dim_units') }}

),

own_unit as (

    select
        unit_code as reporting_unit_code,
        unit_code
    from units

),

pilot_total as (

    select
        '{{ var("all_units_code") }}' as reporting_unit_code,
        unit_code
    from units

),

final as (

    select * from own_unit
    union all
    select * from pilot_total

)

select * from final
