{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- Fails for every combination of the key columns that occurs more than once. -#}

with key_counts as (

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from key_counts
where occurrences > 1

{% endtest %}
