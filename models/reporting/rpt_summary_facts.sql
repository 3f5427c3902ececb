{#- Context the ledgers do not hold (officers seconded, brigades), from the pilot_facts seed:
    the summary states them as background, never as computed figures. -#}
with facts as (

    select
        trim(fact_code) as fact_code,
        label_zh,
        label_en,
        value,
        measure_zh,
        measure_en,
        source
    from {{ ref('pilot_facts') }}

)

select * from facts
