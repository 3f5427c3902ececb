with output_types as (

    select
        upper(trim(output_code)) as output_code,
        trim(output_name) as output_name,
        trim(measure) as measure,
        trim({{ adapter.quote('group') }}) as output_group,
        aliases
    from {{ ref('output_types') }}

)

select * from output_types
